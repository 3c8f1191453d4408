/** Gradients of reductions: ReduceSum, ReduceMean (axes as attribute or input, keepdims on or off). */
import { getInt, getInts, hasAttr } from '../../onnx/attributes.js';
import type { Node } from '../../onnx/ir.js';
import type { GradContext, GradRule } from '../context.js';

/** The reduced axes, normalised; [] means all axes (or none, with noop_with_empty_axes). */
function reducedAxes(ctx: GradContext, node: Node): number[] | 'noop' {
  const x = node.inputs[0]!;
  const rank = ctx.rank(x);
  let axes: number[] | undefined;
  if (hasAttr(node, 'axes')) axes = getInts(node, 'axes');
  else if (node.inputs[1]) {
    axes = ctx.constantInts(node.inputs[1]);
    if (axes === undefined) ctx.fail(node, 'axes must be a constant');
  }
  if (axes === undefined || axes.length === 0) {
    return getInt(node, 'noop_with_empty_axes', 0) === 1 ? 'noop' : [...Array(rank).keys()];
  }
  return axes.map((a) => ctx.axis(node, a, rank)).sort((p, q) => p - q);
}

/** Spreads the gradient of a reduction back over the reduced axes. */
function spread(ctx: GradContext, node: Node, g: string): string | 'noop' {
  const axes = reducedAxes(ctx, node);
  if (axes === 'noop') return 'noop';
  const x = node.inputs[0]!;
  const kept = getInt(node, 'keepdims', 1) === 1 ? g : ctx.op('Unsqueeze', [g, ctx.int64s(axes)]);
  return ctx.op('Expand', [kept, ctx.shapeOf(x)]);
}

const tail = (node: Node) => node.inputs.slice(1).map(() => null);

export const REDUCE_RULES: Readonly<Record<string, GradRule>> = {
  ReduceSum: (ctx, { node, outputGrads: [g] }) => {
    const s = spread(ctx, node, g!);
    return [s === 'noop' ? g! : s, ...tail(node)];
  },
  ReduceMean: (ctx, { node, outputGrads: [g] }) => {
    const s = spread(ctx, node, g!);
    if (s === 'noop') return [g!, ...tail(node)];
    const x = node.inputs[0]!;
    const y = node.outputs[0]!;
    const n = ctx.op('Div', [ctx.count(x, x), ctx.count(y, x)]);
    return [ctx.op('Div', [s, n]), ...tail(node)];
  },
};
