/** Vector arithmetic the console needs (no DOM): cosine similarity of two embeddings. */

/** The cosine of the angle between `a` and `b` (0 when either is all zeros). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.max(Math.sqrt(aa * bb), 1e-12);
}
