/** Gradients of broadcasting arithmetic: Add, Sub, Mul, Div, Pow, Neg, Sum, Where, Expand, Identity, Cast. */
import { attr } from '../../onnx/attributes.js';
import type { GradRule } from '../context.js';
import { isFloatType } from '../context.js';

export const ARITHMETIC_RULES: Readonly<Record<string, GradRule>> = {
  Identity: (_ctx, { outputGrads: [g] }) => [g ?? null],

  Add: (ctx, { node, outputGrads: [g], needs }) => {
    const [a, b] = node.inputs as [string, string];
    const y = node.outputs[0]!;
    return [needs(0) ? ctx.reduceTo(g!, y, a) : null, needs(1) ? ctx.reduceTo(g!, y, b) : null];
  },

  Sub: (ctx, { node, outputGrads: [g], needs }) => {
    const [a, b] = node.inputs as [string, string];
    const y = node.outputs[0]!;
    return [
      needs(0) ? ctx.reduceTo(g!, y, a) : null,
      needs(1) ? ctx.reduceTo(ctx.op('Neg', [g!]), y, b) : null,
    ];
  },

  Mul: (ctx, { node, outputGrads: [g], needs }) => {
    const [a, b] = node.inputs as [string, string];
    const y = node.outputs[0]!;
    return [
      needs(0) ? ctx.reduceTo(ctx.op('Mul', [g!, b]), y, a) : null,
      needs(1) ? ctx.reduceTo(ctx.op('Mul', [g!, a]), y, b) : null,
    ];
  },

  // y = a / b: da = g / b, db = -g·y / b
  Div: (ctx, { node, outputGrads: [g], needs }) => {
    const [a, b] = node.inputs as [string, string];
    const y = node.outputs[0]!;
    const ga = ctx.op('Div', [g!, b]);
    return [
      needs(0) ? ctx.reduceTo(ga, y, a) : null,
      needs(1) ? ctx.reduceTo(ctx.op('Neg', [ctx.op('Mul', [ga, y])]), y, b) : null,
    ];
  },

  Neg: (ctx, { outputGrads: [g] }) => [ctx.op('Neg', [g!])],

  // y = x^p: dx = g·p·x^(p-1); dp = g·y·ln(x) (only when the exponent is not a constant)
  Pow: (ctx, { node, outputGrads: [g], needs }) => {
    const [x, p] = node.inputs as [string, string];
    const y = node.outputs[0]!;
    const constantP = ctx.constant(p);
    let gx: string | null = null;
    if (needs(0)) {
      const pLikeX =
        isFloatType(ctx.elemType(p)) && ctx.elemType(p) === ctx.elemType(x)
          ? p
          : ctx.op('Cast', [p], { to: attr.int(ctx.elemType(x)) });
      const pm1 = ctx.op('Sub', [pLikeX, ctx.scalar(1, x)]);
      gx = ctx.reduceTo(ctx.op('Mul', [g!, ctx.op('Mul', [pLikeX, ctx.op('Pow', [x, pm1])])]), y, x);
    }
    const gp =
      needs(1) && constantP === undefined
        ? ctx.reduceTo(ctx.op('Mul', [g!, ctx.op('Mul', [y, ctx.op('Log', [x])])]), y, p)
        : null;
    return [gx, gp];
  },

  Sum: (ctx, { node, outputGrads: [g], needs }) =>
    node.inputs.map((x, i) => (needs(i) ? ctx.reduceTo(g!, node.outputs[0]!, x) : null)),

  Where: (ctx, { node, outputGrads: [g], needs }) => {
    const [c, a, b] = node.inputs as [string, string, string];
    const y = node.outputs[0]!;
    const zero = ctx.scalar(0, y);
    return [
      null,
      needs(1) ? ctx.reduceTo(ctx.op('Where', [c, g!, zero]), y, a) : null,
      needs(2) ? ctx.reduceTo(ctx.op('Where', [c, zero, g!]), y, b) : null,
    ];
  },

  Expand: (ctx, { node, outputGrads: [g], needs }) => [
    needs(0) ? ctx.reduceTo(g!, node.outputs[0]!, node.inputs[0]!) : null,
    null,
  ],

  Cast: (ctx, { node, outputGrads: [g] }) => {
    const x = node.inputs[0]!;
    return isFloatType(ctx.elemType(x)) ? [ctx.op('Cast', [g!], { to: attr.int(ctx.elemType(x)) })] : [null];
  },
};
