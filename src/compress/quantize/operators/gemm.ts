/**
 * Gemm handlers: Y = alpha · A · op(B) + beta · C with B a constant float matrix. transB=1 is handled by
 * transposing the constant (or, for a tied embedding also read by a Gather, by a Transpose of the shared
 * int8 table, which ONNX Runtime constant-folds at load), alpha is folded into the weight scales and a C of
 * shape [N] (or a scalar) into the bias. transA=1 and 2-D C are declined.
 */
import { attr, getFloat, getInt } from '../../../onnx/attributes.js';
import { DataType, dataTypeName } from '../../../onnx/dtype.js';
import type { Node, Tensor } from '../../../onnx/ir.js';
import { quantizeNBits } from '../blockwise.js';
import { emitDynamicQuantizeMatMul, emitMatMulNBits, emitQdqMatMul } from '../emit.js';
import { declineWith, type Handler, type HandlerContext, type HandlerResult, makeNode } from '../rewrite.js';
import {
  activationQuant,
  type DynamicInt8Settings,
  type NBitsSettings,
  type StaticQdqSettings,
} from '../settings.js';
import {
  type ConstantMatrix,
  constantMatrix,
  derivedFloat,
  int8MatMulWeight,
  int8RowTable,
} from '../weights.js';

interface GemmForm {
  readonly a: string;
  readonly m: ConstantMatrix;
  readonly transB: boolean;
  readonly k: number;
  readonly n: number;
  readonly alpha: number;
  /** The bias value (C, or beta · C broadcast to [N]) and the tensor to add when it is a new one. */
  readonly bias?: { readonly name: string; readonly tensor?: Tensor };
}

function matchGemm(node: Node, ctx: HandlerContext): GemmForm | HandlerResult {
  const [a, b, c] = node.inputs;
  if (a === undefined || a === '' || b === undefined) return declineWith('Gemm needs inputs A and B');
  if (getInt(node, 'transA', 0) !== 0)
    return declineWith('transA=1 is not supported (A would need a transpose)');
  const check = constantMatrix(ctx, b, 'weight B');
  if (!check.ok) return declineWith(check.reason);
  const m = check.matrix;
  const transB = getInt(node, 'transB', 0) !== 0;
  const [k, n] = transB ? [m.cols, m.rows] : [m.rows, m.cols];
  const alpha = getFloat(node, 'alpha', 1);
  const beta = getFloat(node, 'beta', 1);
  if (c === undefined || c === '' || beta === 0) return { a, m, transB, k, n, alpha };
  const t = ctx.constant(c);
  if (t === undefined) return declineWith(`C "${c}" is not a constant`);
  if (t.dataType !== DataType.FLOAT)
    return declineWith(`C "${c}" is ${dataTypeName(t.dataType).toLowerCase()}, not float32`);
  const size = t.dims.reduce((p, d) => p * d, 1);
  const vector = t.dims.length === 1 && t.dims[0] === n;
  const scalar = size === 1 && t.dims.length <= 1;
  if (!vector && !scalar)
    return declineWith(
      `C is not 1-D of size ${n} (shape [${t.dims.join(', ')}]); only a bias vector is folded`,
    );
  if (vector && beta === 1) return { a, m, transB, k, n, alpha, bias: { name: c } };
  const values = t.data as Float32Array;
  const tensor = derivedFloat(ctx, `gemm-bias/${c}/${beta}/${n}`, `${c}_bias`, [n], () =>
    Float32Array.from({ length: n }, (_, i) => beta * values[vector ? i : 0]!),
  );
  return { a, m, transB, k, n, alpha, bias: { name: tensor.name, tensor } };
}

function isForm(x: GemmForm | HandlerResult): x is GemmForm {
  return 'm' in x;
}

function biasTensors(form: GemmForm): Tensor[] {
  return form.bias?.tensor === undefined ? [] : [form.bias.tensor];
}

/** Whether a selected Gather (axis 0) also reads the table: then its int8 copy is shared. */
function readByGather(ctx: HandlerContext, node: Node, table: string): boolean {
  return ctx.index
    .consumersOf(table)
    .some(
      (n) =>
        n !== node &&
        n.opType === 'Gather' &&
        n.domain === '' &&
        n.inputs[0] === table &&
        getInt(n, 'axis', 0) === 0 &&
        ctx.selected(n),
    );
}

function scaled(ctx: HandlerContext, scale: Tensor, alpha: number): Tensor {
  if (alpha === 1) return scale;
  const values = scale.data as Float32Array;
  return derivedFloat(ctx, `scale-alpha/${scale.name}/${alpha}`, `${scale.name}_alpha`, scale.dims, () =>
    values.map((s) => s * alpha),
  );
}

export const gemmDynamicInt8: Handler<DynamicInt8Settings> = (node, ctx, options) => {
  const form = matchGemm(node, ctx);
  if (!isForm(form)) return form;
  const { m } = form;
  let weight: string;
  let scale: Tensor;
  const extraNodes: Node[] = [];
  const extraTensors: Tensor[] = [];
  let how: string;
  if (form.transB && options.embeddings && readByGather(ctx, node, m.name)) {
    // Tied embedding: one int8 table [V, D] serves the Gather and, transposed at load, this projection.
    const table = int8RowTable(ctx, m, options.weightCoding);
    const transposed = ctx.memo(`transpose/${table.data.name}`, () =>
      makeNode(
        ctx,
        `${m.name}_Transpose`,
        'Transpose',
        [table.data.name],
        [ctx.fresh(`${table.data.name}_t`)],
        {
          perm: attr.ints([1, 0]),
        },
      ),
    );
    extraNodes.push(transposed);
    extraTensors.push(table.data, table.scale);
    weight = transposed.outputs[0]!;
    scale = table.scale;
    how = 'tied table shared with its Gather (Transpose folded at load)';
  } else {
    const w = int8MatMulWeight(ctx, m, form.transB ? 'nk' : 'kn', options.weightCoding);
    extraTensors.push(w.data, w.scale);
    weight = w.data.name;
    scale = w.scale;
    how = form.transB ? 'transB folded into the constant' : 'per column';
  }
  const s = scaled(ctx, scale, form.alpha);
  const emitted = emitDynamicQuantizeMatMul(ctx, {
    base: node.name || 'Gemm',
    a: form.a,
    weight,
    scale: s.name,
    n: form.n,
    ...(form.bias && { bias: form.bias.name }),
    output: node.outputs[0]!,
    zeroPoint: options.weightZeroPoint,
  });
  return {
    kind: 'rewrite',
    rewrite: {
      remove: [node],
      add: [...extraNodes, ...emitted.nodes],
      initializers: [...extraTensors, s, ...biasTensors(form), ...emitted.initializers],
      detail: `DynamicQuantizeMatMul, int8 weight [${form.k}, ${form.n}], ${how}${form.alpha !== 1 ? ', alpha folded' : ''}${form.bias ? ', C as bias' : ''}`,
    },
  };
};

export const gemmStaticQdq: Handler<StaticQdqSettings> = (node, ctx, options) => {
  const form = matchGemm(node, ctx);
  if (!isForm(form)) return form;
  const opset = ctx.opset('');
  if (opset !== undefined && opset < 13)
    return declineWith(`per-column DequantizeLinear needs opset 13, the model imports ${opset}`);
  const act = activationQuant(options, form.a);
  if (!act.ok) return declineWith(act.reason);
  const w = int8MatMulWeight(ctx, form.m, form.transB ? 'nk' : 'kn', options.weightCoding);
  const s = scaled(ctx, w.scale, form.alpha);
  const y = node.outputs[0]!;
  const product = form.bias ? ctx.fresh(`${y}_matmul`) : y;
  const base = node.name || 'Gemm';
  const emitted = emitQdqMatMul(ctx, {
    base,
    x: form.a,
    activation: act.quant,
    weight: w.data,
    scale: s,
    output: product,
  });
  const add = form.bias ? [makeNode(ctx, `${base}_bias`, 'Add', [product, form.bias.name], [y])] : [];
  return {
    kind: 'rewrite',
    rewrite: {
      remove: [node],
      add: [...emitted.nodes, ...add],
      initializers: [...emitted.initializers, ...biasTensors(form)],
      detail: `QDQ MatMul${form.bias ? ' + Add' : ''} from Gemm: ${act.quant.type} activation, int8 weight per column`,
    },
  };
};

/**
 * A tied vocabulary head (Gemm(transB=1) over the table a selected Gather reads) stays int8 in the n-bit
 * recipes, sharing the Gather's int8 table: one table instead of an int8 copy plus a 4-bit one, and 8-bit
 * logits. Measured on the built-in mlm-small (2 × 128, vocab 8000): a 4-bit head cost 5.4 accuracy points
 * (37.6% → 32.2%) and made q4 larger than int8 (1.92 vs 1.49 MiB).
 */
export const TIED_HEAD_INT8: DynamicInt8Settings = {
  weightCoding: 'pair-bounded',
  weightZeroPoint: false,
  foldBias: true,
  embeddings: true,
  embeddingLayout: 'gather-dequantize',
};

export const gemmNBits: Handler<NBitsSettings> = (node, ctx, s) => {
  const form = matchGemm(node, ctx);
  if (!isForm(form)) return form;
  if (form.transB && readByGather(ctx, node, form.m.name)) return gemmDynamicInt8(node, ctx, TIED_HEAD_INT8);
  const layout = form.transB ? 'nk' : 'kn';
  const weight = ctx.memo(
    `nbits-weight/${layout}/${s.bits}/${s.blockSize}/${s.symmetric}/${form.m.name}`,
    () => quantizeNBits(form.m.values, form.k, form.n, layout, s),
  );
  const emitted = emitMatMulNBits(ctx, {
    base: node.name || 'Gemm',
    a: form.a,
    weight,
    stem: form.m.name,
    layout,
    alpha: form.alpha,
    ...(form.bias && { bias: form.bias.name }),
    output: node.outputs[0]!,
    accuracyLevel: s.accuracyLevel,
  });
  return {
    kind: 'rewrite',
    rewrite: {
      remove: [node],
      add: emitted.nodes,
      initializers: [...emitted.initializers, ...biasTensors(form)],
      detail: `MatMulNBits ${s.bits}-bit, block ${s.blockSize}, accuracy_level ${s.accuracyLevel}${form.bias ? ', C as bias' : ''}`,
    },
  };
};
