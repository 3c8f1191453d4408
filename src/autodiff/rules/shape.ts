/** Gradients of ops that move data around: reshapes, transposes, concatenation, splitting, slicing, gathering. */
import { attr, getInt, getInts } from '../../onnx/attributes.js';
import type { GradContext, GradRule } from '../context.js';

/** Same data, another shape: the gradient is reshaped back. */
const reshapeBack: GradRule = (ctx, { node, outputGrads: [g] }) => {
  const x = node.inputs[0]!;
  return [ctx.op('Reshape', [g!, ctx.shapeOf(x)]), ...node.inputs.slice(1).map(() => null)];
};

/** Sizes of each input along `axis`, as a 1-D int64 tensor (static when every size is known). */
function sizesAlong(ctx: GradContext, inputs: readonly string[], axis: number): string {
  const sizes = inputs.map((x) => ctx.shape(x)[axis]);
  if (sizes.every((d) => typeof d === 'number')) return ctx.int64s(sizes as number[]);
  const parts = inputs.map((x) =>
    ctx.op('Gather', [ctx.shapeOf(x), ctx.int64s([axis])], { axis: attr.int(0) }),
  );
  return ctx.op('Concat', parts, { axis: attr.int(0) });
}

export const SHAPE_RULES: Readonly<Record<string, GradRule>> = {
  Reshape: reshapeBack,
  Unsqueeze: reshapeBack,
  Squeeze: reshapeBack,
  Flatten: reshapeBack,

  Transpose: (ctx, { node, outputGrads: [g] }) => {
    const rank = ctx.rank(node.inputs[0]!);
    const perm = getInts(node, 'perm', [...Array(rank).keys()].reverse());
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => {
      inverse[p] = i;
    });
    return [ctx.op('Transpose', [g!], { perm: attr.ints(inverse) })];
  },

  Concat: (ctx, { node, outputGrads: [g], needs }) => {
    const axis = ctx.axis(node, getInt(node, 'axis'), ctx.rank(node.outputs[0]!));
    const parts = ctx.b.opMulti(
      'Split',
      [g!, sizesAlong(ctx, node.inputs, axis)],
      { axis: attr.int(axis) },
      {
        name: 'grad/Split',
        outputs: node.inputs.length,
      },
    );
    return parts.map((p, i) => (needs(i) ? p : null));
  },

  Split: (ctx, { node, outputGrads }) => {
    const x = node.inputs[0]!;
    const axis = ctx.axis(node, getInt(node, 'axis', 0), ctx.rank(x));
    const parts = node.outputs.map((o, i) => outputGrads[i] ?? ctx.zeros(ctx.shapeOf(o), x));
    return [ctx.op('Concat', parts, { axis: attr.int(axis) }), ...node.inputs.slice(1).map(() => null)];
  },

  // The gradient of a slice is the slice's gradient padded with zeros back to the input's extent (steps of 1).
  Slice: (ctx, { node, outputGrads: [g] }) => {
    const [x, starts, ends, axesName, stepsName] = node.inputs as [string, string, string, string?, string?];
    const rank = ctx.rank(x);
    const steps = ctx.constantInts(stepsName);
    if (stepsName && (steps === undefined || steps.some((s) => s !== 1)))
      ctx.fail(node, 'only constant steps of 1 are supported');
    const axes = axesName ? ctx.constantInts(axesName) : undefined;
    if (axesName && axes === undefined) ctx.fail(node, 'axes must be a constant');
    const sliced = (axes ?? [...Array(rank).keys()]).map((a) => ctx.axis(node, a, rank));
    const begin: string[] = [];
    const end: string[] = [];
    for (let a = 0; a < rank; a++) {
      const k = sliced.indexOf(a);
      if (k < 0) {
        begin.push(ctx.int64s([0]));
        end.push(ctx.int64s([0]));
        continue;
      }
      const dim = ctx.op('Gather', [ctx.shapeOf(x), ctx.int64s([a])], { axis: attr.int(0) });
      const clamp = (v: string) => {
        const at = ctx.op('Gather', [v, ctx.int64s([k])], { axis: attr.int(0) });
        const wrapped = ctx.op('Where', [
          ctx.op('Less', [at, ctx.int64s([0])]),
          ctx.op('Add', [at, dim]),
          at,
        ]);
        return ctx.op('Min', [ctx.op('Max', [wrapped, ctx.int64s([0])]), dim]);
      };
      const s = clamp(starts);
      begin.push(s);
      end.push(ctx.op('Sub', [dim, ctx.op('Max', [clamp(ends), s])]));
    }
    const pads = ctx.op('Concat', [...begin, ...end], { axis: attr.int(0) });
    return [
      ctx.op('Pad', [g!, pads]),
      null,
      null,
      ...(axesName === undefined ? [] : [null]),
      ...(stepsName === undefined ? [] : [null]),
    ];
  },

  // Embedding lookup: the gradient scatters rows back, adding rows that were looked up more than once.
  Gather: (ctx, { node, outputGrads: [g] }) => {
    const [data, indices] = node.inputs as [string, string];
    const axis = ctx.axis(node, getInt(node, 'axis', 0), ctx.rank(data));
    if (axis !== 0) ctx.fail(node, `only axis 0 (embedding lookup) is supported, got ${axis}`);
    if (ctx.opset < 16) ctx.fail(node, 'needs opset 16 or later (ScatterND with reduction)');
    const zeros = ctx.zeros(ctx.shapeOf(data), data);
    // Negative indices count from the end, as in Gather.
    const rows = ctx.op('Gather', [ctx.shapeOf(data), ctx.int64s([0])], { axis: attr.int(0) });
    const idx64 = ctx.op('Cast', [indices], { to: attr.int(7) });
    const fixed = ctx.op('Where', [
      ctx.op('Less', [idx64, ctx.int64s([0])]),
      ctx.op('Add', [idx64, rows]),
      idx64,
    ]);
    const idx = ctx.op('Unsqueeze', [fixed, ctx.int64s([-1])]);
    return [ctx.op('ScatterND', [zeros, idx, g!], { reduction: attr.string('add') }), null];
  },
};
