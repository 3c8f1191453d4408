/** Gradients of Softmax, LogSoftmax, LayerNormalization and Dropout. */
import { attr, getFloat, getInt } from '../../onnx/attributes.js';
import type { Node } from '../../onnx/ir.js';
import { tensorToNumbers } from '../../onnx/tensor-values.js';
import type { GradContext, GradRule } from '../context.js';

function softmaxAxis(ctx: GradContext, node: Node): number {
  if (ctx.opset < 13) ctx.fail(node, 'needs opset 13 or later (single-axis Softmax)');
  return ctx.axis(node, getInt(node, 'axis', -1), ctx.rank(node.inputs[0]!));
}

/** Backward of log-softmax along `axis`: dx = g − softmax(x)·Σg. */
export function logSoftmaxBackward(ctx: GradContext, g: string, logProb: string, axis: number): string {
  const total = ctx.reduceSum(g, [axis], true);
  return ctx.op('Sub', [g, ctx.op('Mul', [ctx.op('Exp', [logProb]), total])]);
}

/** A value converted to the element type of `like` when the two differ (LayerNorm stashes statistics in float). */
function castLike(ctx: GradContext, value: string, like: string): string {
  return ctx.elemType(value) === ctx.elemType(like)
    ? value
    : ctx.op('Cast', [value], { to: attr.int(ctx.elemType(like)) });
}

export const NORMALIZATION_RULES: Readonly<Record<string, GradRule>> = {
  // dx = y·(g − Σ(g·y))
  Softmax: (ctx, { node, outputGrads: [g] }) => {
    const axis = softmaxAxis(ctx, node);
    const y = node.outputs[0]!;
    const dot = ctx.reduceSum(ctx.op('Mul', [g!, y]), [axis], true);
    return [ctx.op('Mul', [y, ctx.op('Sub', [g!, dot])])];
  },

  LogSoftmax: (ctx, { node, outputGrads: [g] }) => [
    logSoftmaxBackward(ctx, g!, node.outputs[0]!, softmaxAxis(ctx, node)),
  ],

  LayerNormalization: (ctx, { node, outputGrads: [g], needs }) => {
    if (!g) ctx.fail(node, 'gradients through the Mean / InvStdDev outputs are not supported');
    const [x, scale, bias] = node.inputs as [string, string, string | undefined];
    const y = node.outputs[0]!;
    const rank = ctx.rank(x);
    const axis = ctx.axis(node, getInt(node, 'axis', -1), rank);
    const axes = [...Array(rank - axis).keys()].map((i) => i + axis);
    const [, meanOut, invOut] = node.outputs;
    let mean: string;
    let inv: string;
    if (meanOut && invOut) {
      mean = castLike(ctx, meanOut, x);
      inv = castLike(ctx, invOut, x);
    } else {
      // The forward node did not keep its statistics: recompute them.
      mean = ctx.reduceMean(x, axes, true);
      const centred = ctx.op('Sub', [x, mean]);
      const variance = ctx.reduceMean(ctx.op('Mul', [centred, centred]), axes, true);
      const eps = ctx.scalar(getFloat(node, 'epsilon', 1e-5), x);
      inv = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [variance, eps])])]);
    }
    const xhat = ctx.op('Mul', [ctx.op('Sub', [x, mean]), inv]);
    const dScale = needs(1) ? ctx.reduceTo(ctx.op('Mul', [g!, xhat]), y, scale) : null;
    const dBias = bias && needs(2) ? ctx.reduceTo(g!, y, bias) : null;
    let dx: string | null = null;
    if (needs(0)) {
      const dxhat = ctx.op('Mul', [g!, scale]);
      const m1 = ctx.reduceMean(dxhat, axes, true);
      const m2 = ctx.reduceMean(ctx.op('Mul', [dxhat, xhat]), axes, true);
      dx = ctx.op('Mul', [inv, ctx.op('Sub', [ctx.op('Sub', [dxhat, m1]), ctx.op('Mul', [xhat, m2])])]);
    }
    return bias === undefined ? [dx, dScale] : [dx, dScale, dBias];
  },

  // Training-mode Dropout reuses its mask: dx = g·mask / (1 − ratio).
  Dropout: (ctx, { node, outputGrads: [g] }) => {
    const [x, ratioName, trainingName = ''] = node.inputs as [string, string?, string?];
    const rest = node.inputs.slice(1).map(() => null);
    const training = trainingName ? ctx.constant(trainingName) : undefined;
    if (trainingName === '' || (training !== undefined && tensorToNumbers(training)[0] === 0))
      return [g!, ...rest];
    const mask = node.outputs[1];
    if (!mask)
      return ctx.fail(node, 'a training-mode Dropout must output its mask so the gradient can reuse it');
    const ratio = ratioName ? castLike(ctx, ratioName, x) : ctx.scalar(0.5, x);
    let scale = ctx.op('Div', [ctx.scalar(1, x), ctx.op('Sub', [ctx.scalar(1, x), ratio])]);
    if (training === undefined) scale = ctx.op('Where', [trainingName, scale, ctx.scalar(1, x)]);
    const kept = ctx.op('Cast', [mask], { to: attr.int(ctx.elemType(x)) });
    return [ctx.op('Mul', [g!, ctx.op('Mul', [kept, scale])]), ...rest];
  },
};
