/**
 * What the task runners (src/tasks) get from the server for one request: tokenizing with the tokenize timer,
 * the token counter and the model's length limit, and the queue metrics of what they submit.
 */
import { TlcError } from '../errors/index.js';
import type { LoadedVariant, ModelHandle } from '../runtime/registry.js';
import type { RequestIo } from '../tasks/spec.js';
import { labelsOf, type ServerContext } from './context.js';

export function requestIo(context: ServerContext, model: ModelHandle, variant: LoadedVariant): RequestIo {
  const labels = labelsOf(context, model, variant);
  const maxLength = model.served?.maxLength ?? 512;
  return {
    tokenize(texts, encode) {
      const t0 = performance.now();
      const ids = texts.map((text) => Int32Array.from(encode(text)));
      context.metrics.tokenizeDuration.observe(labels, (performance.now() - t0) / 1000);
      for (const [i, x] of ids.entries()) {
        if (x.length > maxLength)
          throw new TlcError(
            'INPUT_TOO_LARGE',
            `input ${i} has ${x.length} tokens; model "${model.name}" takes at most ${maxLength}`,
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
  };
}
