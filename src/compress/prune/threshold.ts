/**
 * Choosing which weights to prune by magnitude: exactly round(s·n) elements, the smallest |w| first, over one
 * tensor (per-tensor) or over several at once (global: one threshold shared by all, as in Li et al. 2020 and
 * Zhu & Gupta 2017). Ties at the threshold are broken by position (tensor order, then element order), so the
 * result is deterministic and the count exact. NaN counts as the largest magnitude (never pruned first).
 */

export type PruneScope = 'global' | 'per-tensor';

/** The k-th smallest value (0-based) of `a`; reorders `a` (Hoare quickselect, median-of-three pivots). */
export function kthSmallest(a: Float32Array, k: number): number {
  if (k < 0 || k >= a.length) throw new RangeError(`k = ${k} outside [0, ${a.length})`);
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as the pivot keeps sorted and constant inputs linear
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/** |x| as compared against a threshold: in float32, with NaN as the largest magnitude (never pruned first). */
function magnitudeOf(x: number): number {
  const m = Math.fround(Math.abs(x));
  return Number.isNaN(m) ? Number.POSITIVE_INFINITY : m;
}

/**
 * A magnitude threshold chosen over several tensors: every element with |w| below `value` is pruned, and of
 * the elements at exactly `value`, the first `ties[t]` of tensor t (in element order). Carrying the tie counts
 * keeps the pruned count exact and the masks a function of each tensor's own content.
 */
export interface Threshold {
  readonly value: number;
  readonly ties: readonly number[];
}

/** The threshold that prunes exactly `count` elements of the group, ties broken by tensor then element order. */
export function chooseThreshold(group: readonly ArrayLike<number>[], count: number): Threshold {
  const total = group.reduce((s, v) => s + v.length, 0);
  const none = { value: 0, ties: group.map(() => 0) };
  if (count <= 0 || total === 0) return none;
  const all = new Float32Array(total);
  let offset = 0;
  for (const v of group) {
    for (let i = 0; i < v.length; i++) all[offset + i] = magnitudeOf(v[i]!);
    offset += v.length;
  }
  const value = kthSmallest(all, Math.min(count, total) - 1);
  let below = 0;
  const atValue = group.map((v) => {
    let at = 0;
    for (let i = 0; i < v.length; i++) {
      const m = magnitudeOf(v[i]!);
      if (m < value) below++;
      else if (m === value) at++;
    }
    return at;
  });
  // First everything strictly below the threshold, then ties in tensor order until the count is met.
  let left = Math.min(count, total) - below;
  const ties = atValue.map((at) => {
    const take = Math.max(0, Math.min(at, left));
    left -= take;
    return take;
  });
  return { value, ties };
}

/** The keep-mask (1 keeps, 0 prunes) of one tensor under a threshold, with `ties` elements at it pruned. */
export function thresholdMask(values: ArrayLike<number>, value: number, ties: number): Uint8Array {
  const mask = new Uint8Array(values.length).fill(1);
  let tied = 0;
  for (let i = 0; i < values.length; i++) {
    const m = magnitudeOf(values[i]!);
    if (m < value || (m === value && tied++ < ties)) mask[i] = 0;
  }
  return mask;
}

/** Per-tensor masks (1 keeps, 0 prunes) that prune exactly `count` elements of the group together. */
function pruneSmallest(group: readonly ArrayLike<number>[], count: number): Uint8Array[] {
  const { value, ties } = chooseThreshold(group, count);
  return group.map((v, t) => thresholdMask(v, value, ties[t]!));
}

/**
 * Keep-masks for magnitude pruning to `sparsity` (0–1): per tensor, or one global ranking over all tensors.
 * A mask element is 1 where the weight stays and 0 where it is pruned; weights that are already zero rank
 * lowest and count towards the target.
 */
export function magnitudeMasks(
  values: readonly ArrayLike<number>[],
  sparsity: number,
  scope: PruneScope,
): Uint8Array[] {
  if (!(sparsity >= 0 && sparsity <= 1)) throw new RangeError(`sparsity must be in [0, 1], got ${sparsity}`);
  if (scope === 'per-tensor')
    return values.map((v) => pruneSmallest([v], Math.round(sparsity * v.length))[0]!);
  const total = values.reduce((s, v) => s + v.length, 0);
  return pruneSmallest(values, Math.round(sparsity * total));
}

/** Number of zero elements (+0 and −0) of a numeric array. */
export function countZeros(values: ArrayLike<number>): number {
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return zeros;
}

/** A threshold chosen over distinct tensors, its tie counts keyed by each tensor's content (see `Threshold`). */
export interface SharedThreshold {
  readonly value: number;
  readonly ties: ReadonlyMap<string, number>;
}

/**
 * One global threshold over tensors named by content key, each distinct key counted once: copies of a weight
 * (a seq2seq's decoder files, a merged decoder's branches) neither weigh twice in the ranking nor end up with
 * different masks. Ties go by first appearance, then element order.
 */
export function distinctThreshold(
  tensors: readonly { readonly key: string; readonly values: ArrayLike<number> }[],
  sparsity: number,
): SharedThreshold {
  if (!(sparsity >= 0 && sparsity <= 1)) throw new RangeError(`sparsity must be in [0, 1], got ${sparsity}`);
  const distinct = new Map<string, ArrayLike<number>>();
  for (const t of tensors) if (!distinct.has(t.key)) distinct.set(t.key, t.values);
  const group = [...distinct.values()];
  const total = group.reduce((s, v) => s + v.length, 0);
  const { value, ties } = chooseThreshold(group, Math.round(sparsity * total));
  return { value, ties: new Map([...distinct.keys()].map((k, i) => [k, ties[i]!])) };
}
