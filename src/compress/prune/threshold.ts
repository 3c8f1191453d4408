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

function magnitudes(values: ArrayLike<number>, into: Float32Array, offset: number): void {
  for (let i = 0; i < values.length; i++) {
    const m = Math.abs(values[i]!);
    into[offset + i] = Number.isNaN(m) ? Number.POSITIVE_INFINITY : m;
  }
}

/** Per-tensor masks (1 keeps, 0 prunes) that prune exactly `count` elements of the group together. */
function pruneSmallest(group: readonly ArrayLike<number>[], count: number): Uint8Array[] {
  const masks = group.map((v) => new Uint8Array(v.length).fill(1));
  const total = group.reduce((s, v) => s + v.length, 0);
  if (count <= 0 || total === 0) return masks;
  if (count >= total) return masks.map((m) => m.fill(0));
  const all = new Float32Array(total);
  let offset = 0;
  for (const v of group) {
    magnitudes(v, all, offset);
    offset += v.length;
  }
  const threshold = kthSmallest(all, count - 1);
  // First everything strictly below the threshold, then ties in position order until the count is met.
  let pruned = 0;
  group.forEach((v, t) => {
    const mask = masks[t]!;
    for (let i = 0; i < v.length; i++) {
      // compared in float32, as the threshold was chosen
      const m = Math.fround(Math.abs(v[i]!));
      if (m < threshold) {
        mask[i] = 0;
        pruned++;
      }
    }
  });
  for (let t = 0; t < group.length && pruned < count; t++) {
    const v = group[t]!;
    const mask = masks[t]!;
    for (let i = 0; i < v.length && pruned < count; i++) {
      if (mask[i] === 1 && Math.fround(Math.abs(v[i]!)) === threshold) {
        mask[i] = 0;
        pruned++;
      }
    }
  }
  return masks;
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
