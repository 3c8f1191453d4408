/**
 * What the task runners (src/tasks) get from the server for one request: tokenizing with the tokenize timer,
 * the token counter and the model's length limit (413 over it, or cut to it when the request asks for
 * `truncation`, as Hugging Face pipelines and TEI offer), and the queue metrics of what they submit.
 */
import type { Response } from 'express';
import { TlcError } from '../errors/index.js';
import type { LoadedVariant, ModelHandle } from '../runtime/registry.js';
import type { RequestIo } from '../tasks/spec.js';
import { truncateIds } from '../tokenizer/truncate.js';
import { labelsOf, type ServerContext } from './context.js';

/** Answers longer than this (characters of JSON) are written in slices, other work let in between them. */
const SLICE_CHARS = 1 << 16;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || 'toJSON' in value) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The text of JSON.stringify(value) in pieces: plain arrays and objects opened, everything else whole. */
export function* jsonPieces(value: unknown): Generator<string> {
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const v: unknown = value[i];
      if (Array.isArray(v) || isPlainObject(v)) yield* jsonPieces(v);
      else yield JSON.stringify(v) ?? 'null';
    }
    yield ']';
  } else if (isPlainObject(value)) {
    let first = true;
    yield '{';
    for (const [key, v] of Object.entries(value)) {
      const open = Array.isArray(v) || isPlainObject(v);
      const text = open ? '' : JSON.stringify(v);
      if (text === undefined) continue; // undefined, functions and symbols are left out, as JSON.stringify does
      yield `${first ? '' : ','}${JSON.stringify(key)}:`;
      first = false;
      if (open) yield* jsonPieces(v);
      else yield text;
    }
    yield '}';
  } else yield JSON.stringify(value) ?? 'null';
}

/**
 * Sends `value` as JSON, as res.json does, but a large answer (a 3 MB fill-mask answer, a raw answer of 262,144
 * values) goes out in 64 KB slices with the event loop served between them: one JSON.stringify of it held the
 * main thread (and with it /v2/health/live and every other request) for tens of ms.
 */
export async function sendJson(res: Response, value: unknown): Promise<void> {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  let parts: string[] = [];
  let size = 0;
  let streaming = false;
  try {
    for (const piece of jsonPieces(value)) {
      parts.push(piece);
      size += piece.length;
      if (size < SLICE_CHARS) continue;
      streaming = true;
      res.write(parts.join(''));
      parts = [];
      size = 0;
      await new Promise((r) => setImmediate(r));
      if (res.destroyed) return;
    }
  } catch (error) {
    if (!streaming) throw error;
    res.destroy(error as Error);
    return;
  }
  if (streaming) res.end(parts.join(''));
  else res.send(parts.join(''));
}

export function requestIo(
  context: ServerContext,
  model: ModelHandle,
  variant: LoadedVariant,
  parameters?: Readonly<Record<string, unknown>>,
  client = '',
): RequestIo {
  const labels = labelsOf(context, model, variant);
  const maxLength = model.served?.maxLength ?? 512;
  const truncate = parameters?.truncation === true;
  return {
    client,
    tokenize(texts, encode) {
      const t0 = performance.now();
      let ids: Int32Array[] = texts.map((text) => Int32Array.from(encode(text)));
      context.metrics.tokenizeDuration.observe(labels, (performance.now() - t0) / 1000);
      if (truncate) ids = ids.map((x) => truncateIds(x, maxLength, model.tokenizer?.specialIds.eos));
      for (const [i, x] of ids.entries()) {
        if (x.length > maxLength)
          throw new TlcError(
            'INPUT_TOO_LARGE',
            `input ${i} has ${x.length} tokens; model "${model.name}" takes at most ${maxLength} (or send "parameters": {"truncation": true} to cut it)`,
          );
      }
      context.metrics.tokens.inc(
        labels,
        ids.reduce((s, x) => s + x.length, 0),
      );
      return ids;
    },
    observe(outcomes, depth) {
      context.metrics.queueDepth.set(labels, depth);
      for (const o of outcomes) {
        context.metrics.queueDuration.observe(labels, o.queueSeconds);
        context.metrics.batchSize.observe(labels, o.batchSize);
      }
    },
    countTokens(n) {
      context.metrics.tokens.inc(labels, n);
    },
    checkAnswerSize(items, what) {
      const limit = context.limits.maxAnswerItems;
      if (items > limit)
        throw new TlcError(
          'INPUT_TOO_LARGE',
          `the answer would hold ${items} ${what}; at most ${limit} per request (send fewer inputs or masks, or a smaller top_k)`,
        );
    },
  };
}
