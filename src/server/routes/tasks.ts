/** POST /v1/models/{model}/fill-mask and /translate: Hugging Face task formats. */
import { chooseVariant, labelsOf, requireTask, textInputs } from '../context.js';
import { fillMaskResponse, fillMaskTexts, translateTexts } from '../tasks.js';
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
      const model = context.registry.get(String(req.params.model));
      requireTask(model, 'fill-mask');
      const variant = chooseVariant(model, req.query);
      res.locals.labels = labelsOf(context, model, variant);
      res.locals.variant = variant;
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
      const model = context.registry.get(String(req.params.model));
      requireTask(model, 'translation');
      const variant = chooseVariant(model, req.query);
      res.locals.labels = labelsOf(context, model, variant);
      res.locals.variant = variant;
      const body = req.body as TranslateBody;
      const texts = textInputs(body.inputs, context.limits);
      const maxLength = model.tlc?.architecture.maxLength || 512;
      const out = await translateTexts(context, model, variant, texts, {
        numBeams: body.parameters?.num_beams ?? 1,
        maxNewTokens: Math.min(body.parameters?.max_new_tokens ?? maxLength - 1, maxLength - 1),
        lengthPenalty: body.parameters?.length_penalty ?? 1,
      });
      res.setHeader('X-TLC-Variant', variant.name);
      res.json(out.map((translation_text) => ({ translation_text })));
    },
  },
];
