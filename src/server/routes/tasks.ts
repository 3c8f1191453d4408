/**
 * POST /v1/models/{model}/{route}: one route per row of the task table (fill-mask, translate), answering in the
 * Hugging Face pipeline's format. openapi.yaml validates each body before it gets here.
 */
import { TASKS } from '../../tasks/index.js';
import type { TextBody } from '../../tasks/spec.js';
import { clientOf, resolveTarget, textInputs } from '../context.js';
import { requestIo, sendJson } from '../request-io.js';
import type { Route } from './route.js';

export const taskRoutes: readonly Route[] = Object.values(TASKS).map(
  (spec): Route => ({
    method: 'post',
    path: `/v1/models/:model/${spec.serving.route}`,
    access: 'inference',
    measured: true,
    handler: async (context, req, res) => {
      const { model, variant } = resolveTarget(context, req, res, spec.name);
      const body = req.body as TextBody;
      const texts = textInputs(body.inputs, context.limits);
      const answer = await variant.runner.v1(
        body,
        texts,
        requestIo(context, model, variant, body.parameters, clientOf(req)),
      );
      res.setHeader('X-TLC-Variant', variant.name);
      await sendJson(res, answer);
    },
  }),
);
