/** POST /v1/models/{model}/fill-mask and /translate: Hugging Face task formats. */
import { resolveTarget, textInputs } from '../context.js';
import { fillMaskResponse, fillMaskTexts, translateParameters, translateTexts } from '../tasks.js';
import type { Route } from './route.js';

interface FillMaskBody {
  inputs: string | string[];
  parameters?: { top_k?: number };
}

interface TranslateBody {
  inputs: string | string[];
  parameters?: { num_beams?: number; max_new_tokens?: number; length_penalty?: number };
}

export const taskRoutes: readonly Route[] = [
  {
    method: 'post',
    path: '/v1/models/:model/fill-mask',
    access: 'inference',
    measured: true,
    handler: async (context, req, res) => {
      const { model, variant } = resolveTarget(context, req, res, 'fill-mask');
      const body = req.body as FillMaskBody;
      const texts = textInputs(body.inputs, context.limits);
      const answers = await fillMaskTexts(context, model, variant, texts, body.parameters?.top_k ?? 5);
      res.setHeader('X-TLC-Variant', variant.name);
      res.json(fillMaskResponse(answers, Array.isArray(body.inputs)));
    },
  },
  {
    method: 'post',
    path: '/v1/models/:model/translate',
    access: 'inference',
    measured: true,
    handler: async (context, req, res) => {
      const { model, variant } = resolveTarget(context, req, res, 'translation');
      const body = req.body as TranslateBody;
      const texts = textInputs(body.inputs, context.limits);
      const out = await translateTexts(
        context,
        model,
        variant,
        texts,
        translateParameters(model, body.parameters ?? {}),
      );
      res.setHeader('X-TLC-Variant', variant.name);
      res.json(out.map((translation_text) => ({ translation_text })));
    },
  },
];
