/**
 * POST /v1/embeddings in OpenAI's shape, for clients written against OpenAI (its SDKs, LangChain, LlamaIndex):
 * `model` names a served model whose task row lists `embeddings` among its OpenAI routes (src/tasks/about.ts
 * `openai`); `input` is a string, a list of strings, or token-id lists (taken as the model's own token ids, used as
 * given); `encoding_format` float (numbers) or base64 (little-endian float32 bytes, what OpenAI's SDKs ask for by
 * default); `dimensions` keeps the first N values and rescales them to unit length (meaningful for models trained
 * for it, Matryoshka style). The request runs through the model's runner as its own route's does (batching,
 * admission, truncation with `"truncation": true`); `?variant=` chooses a variant as elsewhere.
 */
import { TlcError } from '../../errors/index.js';
import { CATALOG, MODEL_TASKS } from '../../tasks/catalog.js';
import type { RequestIo } from '../../tasks/spec.js';
import {
  chooseVariant,
  clientOf,
  labelsOf,
  requireTask,
  type ServerContext,
  textInputs,
} from '../context.js';
import { requestIo, sendJson } from '../request-io.js';
import type { Route } from './route.js';

interface EmbeddingsBody {
  readonly input: string | readonly string[] | readonly number[] | readonly (readonly number[])[];
  readonly model: string;
  readonly encoding_format?: 'float' | 'base64';
  readonly dimensions?: number;
  readonly truncation?: boolean;
}

/** The task whose models answer /v1/embeddings. */
const EMBEDDING_TASK = MODEL_TASKS.find((t) =>
  (CATALOG[t] as { readonly openai?: readonly string[] }).openai?.includes('embeddings'),
);

/** The inputs as texts, or as token-id lists (one list of numbers is one input). */
function inputsOf(input: EmbeddingsBody['input']): { texts: string[]; ids?: Int32Array[] } {
  if (typeof input === 'string') return { texts: [input] };
  if (input.length > 0 && input.every((x) => typeof x === 'number'))
    return { texts: ['0'], ids: [Int32Array.from(input as readonly number[])] };
  if (input.every((x) => typeof x === 'string')) return { texts: [...(input as readonly string[])] };
  if (input.every((x) => Array.isArray(x))) {
    const ids = (input as readonly (readonly number[])[]).map((x) => Int32Array.from(x));
    return { texts: ids.map((_, i) => String(i)), ids };
  }
  throw new TlcError(
    'INPUT_INVALID',
    'input: a string, a list of strings, or lists of token ids, not a mixture',
  );
}

/** The first `dimensions` values at unit length. */
function shortened(vector: readonly number[], dimensions: number | undefined): number[] {
  if (dimensions === undefined || dimensions === vector.length) return [...vector];
  if (dimensions > vector.length)
    throw new TlcError(
      'INPUT_INVALID',
      `dimensions ${dimensions}: the model's embeddings have ${vector.length}; ask for at most that`,
    );
  const head = vector.slice(0, dimensions);
  const norm = Math.max(Math.hypot(...head), 1e-12);
  return head.map((v) => v / norm);
}

const base64 = (vector: readonly number[]) =>
  Buffer.from(Float32Array.from(vector).buffer).toString('base64');

export const openaiRoutes: readonly Route[] =
  EMBEDDING_TASK === undefined
    ? []
    : [
        {
          method: 'post',
          path: '/v1/embeddings',
          access: 'inference',
          measured: true,
          handler: async (context: ServerContext, req, res) => {
            const body = req.body as EmbeddingsBody;
            const model = context.registry.get(body.model);
            requireTask(model, EMBEDDING_TASK);
            const variant = chooseVariant(model, req.query);
            res.locals.labels = labelsOf(context, model, variant);
            res.locals.variant = variant;
            const { texts, ids } = inputsOf(body.input);
            textInputs(texts, context.limits);
            const io = requestIo(
              context,
              model,
              variant,
              { truncation: body.truncation === true },
              clientOf(req),
            );
            let tokens = 0;
            const counted: RequestIo = {
              ...io,
              tokenize(list, encode) {
                // Token-id inputs are the model's ids as given; texts are encoded by the model's tokenizer.
                const out = io.tokenize(list, ids === undefined ? encode : (t) => [...ids[Number(t)]!]);
                tokens += out.reduce((s, x) => s + x.length, 0);
                return out;
              },
            };
            const vectors = (await variant.runner.v1({ inputs: texts }, texts, counted)) as number[][];
            res.setHeader('X-TLC-Variant', variant.name);
            await sendJson(res, {
              object: 'list',
              data: vectors.map((v, index) => {
                const vector = shortened(v, body.dimensions);
                return {
                  object: 'embedding',
                  index,
                  embedding: body.encoding_format === 'base64' ? base64(vector) : vector,
                };
              }),
              model: model.name,
              usage: { prompt_tokens: tokens, total_tokens: tokens },
            });
          },
        },
      ];
