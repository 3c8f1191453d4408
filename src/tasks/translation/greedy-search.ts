/**
 * Greedy search with a key/value cache: the arg-max token of every row at every step (the lowest id on a
 * tie, as ONNX ArgMax and torch.argmax pick). A source leaves the batch when it emits </s>, so finished
 * sources cost nothing afterwards; so does a source whose request was given up (`stopped`).
 */
import type { DecoderCache, StepLogits } from './decoder-cache.js';

export interface GreedyOptions {
  readonly eos: number;
  readonly maxNewTokens: number;
  /** Sources whose request was given up (timed out): they leave the batch at the next step. */
  readonly stopped?: (source: number) => boolean;
}

/** Index of the largest value of `row` (the first one on a tie). */
export function argmax(row: Float32Array): number {
  let best = 0;
  for (let v = 1; v < row.length; v++) if (row[v]! > row[best]!) best = v;
  return best;
}

/** Continues `cache` (one row per source, fresh from its first step) until every source ends or hits the limit. */
export async function greedySearch(
  cache: DecoderCache,
  first: StepLogits,
  o: GreedyOptions,
): Promise<Int32Array[]> {
  const generated: number[][] = Array.from({ length: cache.rows }, () => []);
  let logits = first;
  for (let step = 0; step < o.maxNewTokens; step++) {
    const origins: number[] = [];
    const tokens: number[] = [];
    for (let r = 0; r < cache.rows; r++) {
      const token = argmax(logits.data.subarray(r * logits.vocab, (r + 1) * logits.vocab));
      if (token === o.eos || o.stopped?.(cache.sources[r]!) === true) continue;
      generated[cache.sources[r]!]!.push(token);
      origins.push(r);
      tokens.push(token);
    }
    if (tokens.length === 0 || step + 1 === o.maxNewTokens) break;
    logits = await cache.step(tokens, origins);
  }
  return generated.map((g) => Int32Array.from(g));
}
