/**
 * KServe / Open Inference Protocol v2: health, server and model metadata, readiness, inference, and the
 * repository extension (load / unload for hot reload). A BYTES input is text and runs the model's task; other
 * tensors run the variant's first graph as written (for fill-mask, the served graph with top-k).
 */

import { TlcError } from '../../errors/index.js';
import { missingStandardInputs } from '../../ort/standard-inputs.js';
import type { LoadedVariant, ModelHandle } from '../../runtime/registry.js';
import type { TensorSignature, WireTensor } from '../../runtime/worker/protocol.js';
import { taskSpec } from '../../tasks/index.js';
import { checkParameters } from '../../tasks/parameters.js';
import { packageVersion } from '../../util/version.js';
import { clientOf, labelsOf, publicText, resolveTarget, type ServerContext, textInputs } from '../context.js';
import {
  checkRawAnswer,
  checkRawTensors,
  checkRawValues,
  embeddingRows,
  type RawLimits,
  rawWork,
} from '../raw-admission.js';
import { requestIo, sendJson } from '../request-io.js';
import { bytesValues, fromWire, type InferTensor, toWire, v2Datatype } from '../v2-tensors.js';
import type { Route } from './route.js';

interface InferBody {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: InferTensor[];
  outputs?: { name: string }[];
}

/** The name of the text output of the model's task (candidates, translation_text). */
function textOutput(model: ModelHandle): string {
  return taskSpec(String(model.task)).serving.v2Output;
}

function modelReady(context: ServerContext, model: ModelHandle): Record<string, unknown> {
  return {
    name: model.name,
    ready: model.status === 'ready',
    status: model.status,
    ...(model.error !== undefined && { error: publicText(context, model.error) }),
  };
}

/** The raw path's limits per loaded model (keyed by its tlc.json object, which a reload replaces). */
const rawLimitsOf = new WeakMap<object, Pick<RawLimits, 'segments' | 'positions'>>();

function rawLimits(context: ServerContext, model: ModelHandle): RawLimits {
  const key = model.tlc ?? model;
  let rows = rawLimitsOf.get(key);
  if (rows === undefined) {
    rows = embeddingRows(model.dir);
    rawLimitsOf.set(key, rows);
  }
  return {
    maxRows: context.limits.maxInputs,
    maxLength: model.served?.maxLength ?? 0,
    vocabSize: model.tlc?.architecture.vocabSize ?? 0,
    ...rows,
  };
}

async function infer(
  context: ServerContext,
  model: ModelHandle,
  variant: LoadedVariant,
  body: InferBody,
  client: string,
) {
  const labels = labelsOf(context, model, variant);
  const text = body.inputs.find((t) => t.datatype === 'BYTES');
  let outputs: InferTensor[];
  if (text !== undefined) {
    const texts = textInputs(bytesValues(text), context.limits);
    const p = { ...(body.parameters ?? {}), ...(text.parameters ?? {}) };
    checkParameters(taskSpec(String(model.task)).serving, p);
    const data = await variant.runner.v2(texts, p, requestIo(context, model, variant, p, client));
    outputs = [{ name: textOutput(model), shape: [texts.length], datatype: 'BYTES', data }];
  } else {
    const signature = variant.pool.loaded.signatures[0]!;
    const inputs = signature.inputs.map((i) => i.name);
    const limits = rawLimits(context, model);
    checkRawTensors(body.inputs, signature.inputs, limits);
    const feeds: Record<string, WireTensor> = {};
    for (const t of body.inputs) {
      if (!inputs.includes(t.name))
        throw new TlcError(
          'INPUT_INVALID',
          `unknown input "${t.name}"; the model takes ${inputs.join(', ')}`,
        );
      feeds[t.name] = toWire(t);
    }
    // token_type_ids and position_ids may be left out, as Hugging Face's callers leave them: zeros and 0..n-1.
    Object.assign(feeds, missingStandardInputs(signature.inputs, feeds));
    const missing = inputs.filter((n) => feeds[n] === undefined);
    if (missing.length > 0) throw new TlcError('INPUT_INVALID', `missing input(s) ${missing.join(', ')}`);
    checkRawValues(feeds, limits);
    const names = signature.outputs.map((o) => o.name);
    const unknown = (body.outputs ?? []).map((o) => o.name).filter((n) => !names.includes(n));
    if (unknown.length > 0)
      throw new TlcError(
        'INPUT_INVALID',
        `unknown output(s) ${unknown.join(', ')}; the model gives ${names.join(', ')}`,
      );
    const rows = Math.max(1, ...Object.values(feeds).map((f) => f.dims[0] ?? 1));
    // Through the variant, not its pool: a variant that is closing refuses (503) instead of starting a run.
    // Through its batcher's queue too: the raw call waits for its client's turn and counts against the same
    // budgets of work as text (rows × length), instead of jumping every queue.
    const run = async () => {
      const t0 = performance.now();
      const answer = await variant.infer({
        op: 'infer',
        file: 0,
        feeds,
        ...(body.outputs && { outputs: body.outputs.map((o) => o.name) }),
      });
      context.metrics.inferenceDuration.observe(labels, (performance.now() - t0) / 1000);
      return answer;
    };
    const runner = variant.runner;
    const { result } = await context.rawAdmission.run(`${model.name}/${variant.name}`, rows, () =>
      runner.runAlone ? runner.runAlone(run, rawWork(feeds), client) : run(),
    );
    checkRawAnswer(result.outputs);
    outputs = Object.entries(result.outputs).map(([name, t]) => fromWire(name, t));
  }
  return {
    model_name: model.name,
    model_version: variant.name,
    ...(body.id !== undefined && { id: body.id }),
    outputs,
  };
}

export const v2Routes: readonly Route[] = [
  {
    method: 'get',
    path: '/v2/health/live',
    access: 'public',
    handler: (_context, _req, res) => {
      res.json({ live: true });
    },
  },
  {
    method: 'get',
    path: '/v2/health/ready',
    access: 'public',
    handler: (context, _req, res) => {
      const ready = !context.draining && context.registry.ready();
      res.status(ready ? 200 : 503).json({
        ready,
        models: Object.fromEntries(context.registry.list().map((m) => [m.name, m.status])),
      });
    },
  },
  {
    method: 'get',
    path: '/v2',
    access: 'public',
    handler: (_context, _req, res) => {
      res.json({ name: 'tlc', version: packageVersion(), extensions: ['model_repository'] });
    },
  },
  {
    method: 'get',
    path: '/v2/models/:model',
    access: 'public',
    handler: (context, req, res) => {
      const model = context.registry.get(String(req.params.model));
      const variant = model.variant();
      const signature = variant.pool.loaded.signatures[0]!;
      const tensor = (t: TensorSignature) => ({
        name: t.name,
        datatype: v2Datatype(t.type),
        shape: t.shape,
      });
      res.json({
        name: model.name,
        versions: [...model.variants.keys()],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }, ...signature.inputs.map(tensor)],
        outputs: [
          { name: textOutput(model), datatype: 'BYTES', shape: [-1] },
          ...signature.outputs.map(tensor),
        ],
      });
    },
  },
  {
    method: 'get',
    path: '/v2/models/:model/ready',
    access: 'public',
    handler: (context, req, res) => {
      const model = context.registry.get(String(req.params.model));
      res.status(model.status === 'ready' ? 200 : 503).json(modelReady(context, model));
    },
  },
  {
    method: 'post',
    path: '/v2/models/:model/infer',
    access: 'inference',
    measured: true,
    handler: async (context, req, res) => {
      const { model, variant } = resolveTarget(context, req, res);
      await sendJson(res, await infer(context, model, variant, req.body as InferBody, clientOf(req)));
    },
  },
  {
    method: 'post',
    path: '/v2/models/:model/versions/:version/infer',
    access: 'inference',
    measured: true,
    handler: async (context, req, res) => {
      const { model, variant } = resolveTarget(context, req, res);
      await sendJson(res, await infer(context, model, variant, req.body as InferBody, clientOf(req)));
    },
  },
  {
    method: 'post',
    path: '/v2/repository/index',
    access: 'admin',
    handler: (context, _req, res) => {
      const state = {
        loading: 'LOADING',
        ready: 'READY',
        failed: 'UNAVAILABLE',
        unloaded: 'UNLOADED',
        unsupported: 'UNAVAILABLE',
      } as const;
      const known = new Map<string, ModelHandle | undefined>(context.registry.list().map((m) => [m.name, m]));
      for (const name of context.registry.discover()) if (!known.has(name)) known.set(name, undefined);
      const skipped = [...context.registry.skipped()]
        .filter(([name]) => !known.has(name))
        .map(([name, reason]) => ({
          name,
          state: 'UNAVAILABLE',
          reason: publicText(context, `skipped: ${reason}`),
        }));
      res.json([
        ...[...known].map(([name, m]) => ({
          name,
          state: m === undefined ? 'UNLOADED' : state[m.status],
          ...(m?.error !== undefined && { reason: publicText(context, m.error) }),
          ...(m?.reloadError !== undefined && {
            reason: publicText(context, `last reload failed: ${m.reloadError}`),
          }),
        })),
        ...skipped,
      ]);
    },
  },
  {
    method: 'post',
    path: '/v2/repository/models/:model/load',
    access: 'admin',
    handler: async (context, req, res) => {
      const model = await context.registry.load(String(req.params.model));
      for (const v of model.variants.values()) context.metrics.declare(labelsOf(context, model, v));
      if (model.status !== 'ready')
        throw new TlcError(
          'MODEL_INVALID',
          `model "${model.name}" failed to load: ${model.error ?? 'unknown reason'}`,
        );
      res.json(modelReady(context, model));
    },
  },
  {
    method: 'post',
    path: '/v2/repository/models/:model/unload',
    access: 'admin',
    handler: async (context, req, res) => {
      res.json(modelReady(context, await context.registry.unload(String(req.params.model))));
    },
  },
];
