/**
 * ALiBi position biases (Press, Smith & Lewis, "Train Short, Test Long", ICLR 2022): attention head h adds
 * −m_h·|i − j| to the logit of query i on key j, so nearby tokens are preferred from the first step and the
 * model needs no position table. In a PyTorch study on TLC's MLM data, with learned positions the attention on
 * the two neighbouring tokens stayed at 1/64 (uniform) for 5,000 steps; with this bias it rose to 0.32, and TLC's
 * tiny model passes 29% masked-token accuracy by step 1,500 (docs/training.md).
 *
 * The distances are computed once per graph from the sequence lengths ([1, T, S]); each attention layer holds
 * its own constant [H, 1, 1] of negated slopes (`<layer>.alibi_slopes`, not trained) so that structured
 * pruning can drop a head's slope with the head.
 */
import { attr } from '../onnx/attributes.js';
import { DataType } from '../onnx/dtype.js';
import { tensorFromNumbers } from '../onnx/tensor.js';
import type { ModelContext } from './context.js';

/**
 * The ALiBi paper's geometric slopes for `heads` heads: 2^(−8/n)·k for k = 1…n, interleaved when n is not a
 * power of two.
 */
export function paperSlopes(heads: number): number[] {
  const powerOfTwo = (n: number): number[] => {
    const start = 2 ** (-8 / n);
    return Array.from({ length: n }, (_, i) => start ** (i + 1));
  };
  const log = Math.log2(heads);
  if (Number.isInteger(log)) return powerOfTwo(heads);
  const closest = 2 ** Math.floor(log);
  const extra = paperSlopes(2 * closest).filter((_, i) => i % 2 === 0);
  return [...powerOfTwo(closest), ...extra.slice(0, heads - closest)];
}

/**
 * TLC's slopes: the paper's series for 8 or more heads; with fewer heads, the first `heads` slopes of the
 * 8-head series (½, ¼, ⅛, …). The paper's own series for few heads is flat (2 heads: 1/16 and 1/256), and
 * on TLC's MLM data it learnt far slower: at step 1,500 of the tiny preset (2 heads), validation loss 5.71
 * against 4.74 with ½ and ¼ (docs/training.md).
 */
export function alibiSlopes(heads: number): number[] {
  return paperSlopes(Math.max(heads, 8)).slice(0, heads);
}

/** Suffix of the per-layer slope constant; the structured pruner and the exporter look for it. */
export const ALIBI_SLOPES_SUFFIX = '.alibi_slopes';

/** A scalar int64 length: dimension `axis` of `value`'s shape. */
export function dimension(m: ModelContext, value: string, axis: number): string {
  const b = m.b;
  return b.op('Gather', [b.op('Shape', [value]), b.constantOf(DataType.INT64, [], [axis])], {
    axis: attr.int(0),
  });
}

/** Distances of a sequence attending to itself (`ids` [B, T]). */
export function selfDistances(m: ModelContext, ids: string): string {
  const t = dimension(m, ids, 1);
  return alibiDistances(m, t, t);
}

/**
 * |(offset + i) − j| as [1, T, S] in the model's float type, for T queries at absolute positions
 * offset…offset+T−1 and S keys at 0…S−1. T, S and `offset` (the cached decoder's past length; 0 when
 * undefined) are scalar int64 values.
 */
export function alibiDistances(
  m: ModelContext,
  queryLength: string,
  keyLength: string,
  offset?: string,
): string {
  const b = m.b;
  const zero = b.constantOf(DataType.INT64, [], [0]);
  const one = b.constantOf(DataType.INT64, [], [1]);
  const start = offset ?? zero;
  const q = b.op('Range', [start, b.op('Add', [start, queryLength]), one]);
  const k = b.op('Range', [zero, keyLength, one]);
  const diff = b.op('Sub', [b.op('Unsqueeze', [q, m.int64s([1])]), k]); // [T, S]
  const distance = b.op('Cast', [b.op('Abs', [diff])], { to: attr.int(m.floatType) });
  return b.op('Unsqueeze', [distance, m.int64s([0])], {}, { name: 'alibi/distances' });
}

/** The per-head bias [H, T, S] = −slope_h · distance of one attention layer named `name`. */
export function alibiBias(m: ModelContext, distances: string, name: string): string {
  const h = m.config.heads;
  const slopes = m.b.initializer(
    tensorFromNumbers(
      `${name}${ALIBI_SLOPES_SUFFIX}`,
      m.floatType,
      [h, 1, 1],
      alibiSlopes(h).map((s) => -s),
    ),
  );
  return m.b.op('Mul', [distances, slopes], {}, { name: `${name}/alibi` });
}
