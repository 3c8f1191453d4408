/**
 * What the task runners (src/tasks) get from the server for one request: tokenizing with the tokenize timer,
 * the token counter and the model's length limit (413 over it, or cut to it when the request asks for
 * `truncation`, as Hugging Face pipelines and TEI offer), and the queue metrics of what they submit.
 */
import { TlcError } from '../errors/index.js';
import type { LoadedVariant, ModelHandle } from '../runtime/registry.js';
import type { RequestIo } from '../tasks/spec.js';
import { labelsOf, type ServerContext } from './context.js';

/** The first `maxLength` ids, the last one kept when it is the tokenizer's closing token (`</s>`, `[SEP]`). */
export function truncateIds(ids: Int32Array, maxLength: number, closing: number | undefined): Int32Array {
  if (ids.length <= maxLength) return ids;
  if (closing === undefined || ids.at(-1) !== closing) return ids.slice(0, maxLength);
  const out = ids.slice(0, maxLength);
  out[maxLength - 1] = closing;
  return out;
}

export function requestIo(
  context: ServerContext,
  model: ModelHandle,
  variant: LoadedVariant,
  parameters?: Readonly<Record<string, unknown>>,
): RequestIo {
  const labels = labelsOf(context, model, variant);
  const maxLength = model.served?.maxLength ?? 512;
  const truncate = parameters?.truncation === true;
  return {
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
