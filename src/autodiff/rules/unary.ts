/** Gradients of element-wise functions: Sqrt, Exp, Log, Tanh, Erf, Relu, Sigmoid, Gelu (ONNX and com.microsoft). */
import { getString } from '../../onnx/attributes.js';
import type { GradContext, GradRule } from '../context.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** d gelu / dx for the exact (erf) form: Φ(x) + x·φ(x). */
function geluExactDerivative(ctx: GradContext, x: string): string {
  const cdf = ctx.op('Mul', [
    ctx.scalar(0.5, x),
    ctx.op('Add', [ctx.scalar(1, x), ctx.op('Erf', [ctx.op('Mul', [x, ctx.scalar(Math.SQRT1_2, x)])])]),
  ]);
  const pdf = ctx.op('Mul', [
    ctx.scalar(INV_SQRT_2PI, x),
    ctx.op('Exp', [ctx.op('Mul', [ctx.op('Mul', [x, x]), ctx.scalar(-0.5, x)])]),
  ]);
  return ctx.op('Add', [cdf, ctx.op('Mul', [x, pdf])]);
}

/** d gelu / dx for the tanh form 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³). */
function geluTanhDerivative(ctx: GradContext, x: string): string {
  const x2 = ctx.op('Mul', [x, x]);
  const inner = ctx.op('Add', [x, ctx.op('Mul', [ctx.scalar(0.044715, x), ctx.op('Mul', [x2, x])])]);
  const t = ctx.op('Tanh', [ctx.op('Mul', [ctx.scalar(SQRT_2_OVER_PI, x), inner])]);
  const du = ctx.op('Mul', [
    ctx.scalar(SQRT_2_OVER_PI, x),
    ctx.op('Add', [ctx.scalar(1, x), ctx.op('Mul', [ctx.scalar(3 * 0.044715, x), x2])]),
  ]);
  const sech2 = ctx.op('Sub', [ctx.scalar(1, x), ctx.op('Mul', [t, t])]);
  const left = ctx.op('Mul', [ctx.scalar(0.5, x), ctx.op('Add', [ctx.scalar(1, t), t])]);
  const right = ctx.op('Mul', [ctx.op('Mul', [ctx.scalar(0.5, x), x]), ctx.op('Mul', [sech2, du])]);
  return ctx.op('Add', [left, right]);
}

export const UNARY_RULES: Readonly<Record<string, GradRule>> = {
  // y = √x: dx = g / (2y)
  Sqrt: (ctx, { node, outputGrads: [g] }) => {
    const y = node.outputs[0]!;
    return [ctx.op('Div', [g!, ctx.op('Mul', [y, ctx.scalar(2, y)])])];
  },
  Exp: (ctx, { node, outputGrads: [g] }) => [ctx.op('Mul', [g!, node.outputs[0]!])],
  Log: (ctx, { node, outputGrads: [g] }) => [ctx.op('Div', [g!, node.inputs[0]!])],
  // dx = g·(1 − y²)
  Tanh: (ctx, { node, outputGrads: [g] }) => {
    const y = node.outputs[0]!;
    return [ctx.op('Mul', [g!, ctx.op('Sub', [ctx.scalar(1, y), ctx.op('Mul', [y, y])])])];
  },
  // dx = g·y·(1 − y)
  Sigmoid: (ctx, { node, outputGrads: [g] }) => {
    const y = node.outputs[0]!;
    return [ctx.op('Mul', [g!, ctx.op('Mul', [y, ctx.op('Sub', [ctx.scalar(1, y), y])])])];
  },
  // dx = g·(2/√π)·exp(−x²)
  Erf: (ctx, { node, outputGrads: [g] }) => {
    const x = node.inputs[0]!;
    const e = ctx.op('Exp', [ctx.op('Neg', [ctx.op('Mul', [x, x])])]);
    return [ctx.op('Mul', [g!, ctx.op('Mul', [e, ctx.scalar(2 / Math.sqrt(Math.PI), x)])])];
  },
  Relu: (ctx, { node, outputGrads: [g] }) => {
    const x = node.inputs[0]!;
    return [ctx.op('Where', [ctx.op('Greater', [x, ctx.scalar(0, x)]), g!, ctx.scalar(0, x)])];
  },
  Gelu: (ctx, { node, outputGrads: [g] }) => {
    const x = node.inputs[0]!;
    const approximate = getString(node, 'approximate', 'none');
    if (approximate !== 'none' && approximate !== 'tanh')
      ctx.fail(node, `unknown approximate="${approximate}"`);
    const d = approximate === 'tanh' ? geluTanhDerivative(ctx, x) : geluExactDerivative(ctx, x);
    return [ctx.op('Mul', [g!, d])];
  },
  'com.microsoft::Gelu': (ctx, { node, outputGrads: [g] }) => [
    ctx.op('Mul', [g!, geluExactDerivative(ctx, node.inputs[0]!)]),
  ],
};
