/** Gradients of MatMul (batched, broadcasting, 1-D operands) and Gemm. */
import { attr, getFloat, getInt } from '../../onnx/attributes.js';
import type { Dim } from '../../onnx/ir.js';
import type { GradContext, GradRule } from '../context.js';

/** Swaps the last two axes (rank ≥ 2). */
function swapLast(ctx: GradContext, x: string): string {
  const r = ctx.rank(x);
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  const shape = ctx.shape(x);
  const out = ctx.op('Transpose', [x], { perm: attr.ints(perm) });
  return ctx.assume(out, [...shape.slice(0, -2), shape[r - 1]!, shape[r - 2]!], x);
}

/**
 * Gradients of y = a @ b for operands of rank ≥ 2 (y's batch dims broadcast). A rank-2 `b` with a batched
 * `a` (a Linear layer) becomes two plain GEMMs over the flattened rows, which is what the kernels do best.
 */
function matmulGrads(
  ctx: GradContext,
  a: string,
  b: string,
  g: string,
  y: string,
  needA: boolean,
  needB: boolean,
) {
  const sa = ctx.shape(a);
  const sb = ctx.shape(b);
  const sy = ctx.shape(y);
  if (sb.length === 2 && sa.length >= 2) {
    const k = sb[0]!;
    const n = sb[1]!;
    const flat = (x: string, cols: Dim, like: string) =>
      sa.length === 2
        ? x
        : ctx.op('Reshape', [
            x,
            typeof cols === 'number'
              ? ctx.int64s([-1, cols])
              : ctx.op(
                  'Concat',
                  [
                    ctx.int64s([-1]),
                    ctx.op('Slice', [ctx.shapeOf(like), ctx.int64s([-1]), ctx.int64s([2 ** 62])]),
                  ],
                  { axis: attr.int(0) },
                ),
          ]);
    const g2 = flat(g, n, y);
    const da = needA ? ctx.op('Gemm', [g2, b], { transB: attr.int(1) }) : null;
    const db = needB ? ctx.op('Gemm', [flat(a, k, a), g2], { transA: attr.int(1) }) : null;
    return [da === null || sa.length === 2 ? da : ctx.op('Reshape', [da, ctx.shapeOf(a)]), db] as const;
  }
  const batch = sy.slice(0, -2);
  let da: string | null = null;
  let db: string | null = null;
  if (needA) {
    const full = ctx.assume(
      ctx.op('MatMul', [g, swapLast(ctx, b)]),
      [...batch, sy[sy.length - 2]!, sa[sa.length - 1]!],
      y,
    );
    da = ctx.reduceTo(full, full, a);
  }
  if (needB) {
    const full = ctx.assume(
      ctx.op('MatMul', [swapLast(ctx, a), g]),
      [...batch, sb[sb.length - 2]!, sy[sy.length - 1]!],
      y,
    );
    db = ctx.reduceTo(full, full, b);
  }
  return [da, db] as const;
}

export const MATMUL_RULES: Readonly<Record<string, GradRule>> = {
  MatMul: (ctx, { node, outputGrads: [g], needs }) => {
    let [a, b] = node.inputs as [string, string];
    let y = node.outputs[0]!;
    let grad = g!;
    const [ra, rb] = [ctx.rank(a), ctx.rank(b)];
    // 1-D operands: promote as MatMul does ([K] → [1, K] on the left, [K, 1] on the right), then undo.
    if (ra === 1) {
      const sy = ctx.shape(y);
      a = ctx.assume(ctx.op('Unsqueeze', [a, ctx.int64s([0])]), [1, ...ctx.shape(a)], a);
      const yShape = rb === 1 ? [1] : [...sy.slice(0, -1), 1, sy[sy.length - 1]!];
      grad = ctx.assume(ctx.op('Unsqueeze', [grad, ctx.int64s([rb === 1 ? 0 : -2])]), yShape, y);
      y = grad;
    }
    if (rb === 1) {
      const sy = ctx.shape(y);
      b = ctx.assume(ctx.op('Unsqueeze', [b, ctx.int64s([1])]), [...ctx.shape(b), 1], b);
      grad = ctx.assume(ctx.op('Unsqueeze', [grad, ctx.int64s([-1])]), [...sy, 1], y);
      y = grad;
    }
    const [da, db] = matmulGrads(ctx, a, b, grad, y, needs(0), needs(1));
    const restore = (d: string | null, original: string) =>
      d === null || ctx.rank(original) !== 1 ? d : ctx.op('Reshape', [d, ctx.shapeOf(original)]);
    return [restore(da, node.inputs[0]!), restore(db, node.inputs[1]!)];
  },

  // y = α·op(A)·op(B) + β·C
  Gemm: (ctx, { node, outputGrads: [g], needs }) => {
    const [a, b, c] = node.inputs as [string, string, string | undefined];
    const alpha = getFloat(node, 'alpha', 1);
    const beta = getFloat(node, 'beta', 1);
    const ta = getInt(node, 'transA', 0) === 1;
    const tb = getInt(node, 'transB', 0) === 1;
    const gemm = (x: string, z: string, transX: boolean, transZ: boolean) =>
      ctx.op('Gemm', [x, z], {
        alpha: attr.float(alpha),
        transA: attr.int(transX ? 1 : 0),
        transB: attr.int(transZ ? 1 : 0),
      });
    const da = !needs(0) ? null : ta ? gemm(b, g!, tb, true) : gemm(g!, b, false, !tb);
    const db = !needs(1) ? null : tb ? gemm(g!, a, true, ta) : gemm(a, g!, !ta, false);
    let dc: string | null = null;
    if (c !== undefined && c !== '' && needs(2)) {
      const reduced = ctx.reduceTo(g!, node.outputs[0]!, c);
      dc = beta === 1 ? reduced : ctx.op('Mul', [reduced, ctx.scalar(beta, c)]);
    }
    return c === undefined ? [da, db] : [da, db, dc];
  },
};
