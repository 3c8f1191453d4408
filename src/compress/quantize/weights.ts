/**
 * Reading constant weight matrices for handlers (with the reasons a weight does not qualify) and the
 * memoized int8 quantization of a weight, so that two uses of one tensor (a tied embedding read by a Gather
 * and by the output projection) share one quantized table.
 */
import { DataType, dataTypeName } from '../../onnx/dtype.js';
import type { Tensor } from '../../onnx/ir.js';
import { float32Tensor, makeTensor } from '../../onnx/tensor.js';
import { type ChannelAxis, type ChannelQuantized, quantizeChannels, transpose } from './channel.js';
import { codingLimits, type Int8WeightCoding } from './int8-coding.js';
import type { HandlerContext } from './rewrite.js';

export interface ConstantMatrix {
  readonly name: string;
  readonly tensor: Tensor;
  readonly values: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

export type MatrixCheck =
  | { readonly ok: true; readonly matrix: ConstantMatrix }
  | { readonly ok: false; readonly reason: string };

/** The constant 2-D float32 matrix behind `name`, or why it is not one (`role` names it in the reason). */
export function constantMatrix(ctx: HandlerContext, name: string | undefined, role: string): MatrixCheck {
  if (name === undefined || name === '') return { ok: false, reason: `${role} is missing` };
  const tensor = ctx.constant(name);
  if (tensor === undefined) return { ok: false, reason: `${role} "${name}" is not a constant initializer` };
  if (tensor.dataType !== DataType.FLOAT) {
    return {
      ok: false,
      reason: `${role} "${name}" is ${dataTypeName(tensor.dataType).toLowerCase()}, not float32`,
    };
  }
  if (tensor.dims.length !== 2)
    return { ok: false, reason: `${role} "${name}" is not 2-D (shape [${tensor.dims.join(', ')}])` };
  const [rows, cols] = tensor.dims as [number, number];
  return { ok: true, matrix: { name, tensor, values: tensor.data as Float32Array, rows, cols } };
}

/** A constant float32 vector usable as a bias of size n, or why not. */
export function constantBias(
  ctx: HandlerContext,
  name: string,
  n: number,
): { readonly ok: true; readonly values: Float32Array } | { readonly ok: false; readonly reason: string } {
  const t = ctx.constant(name);
  if (t === undefined) return { ok: false, reason: `bias "${name}" is not a constant` };
  if (t.dataType !== DataType.FLOAT)
    return { ok: false, reason: `bias "${name}" is ${dataTypeName(t.dataType).toLowerCase()}, not float32` };
  if (t.dims.length !== 1 || t.dims[0] !== n)
    return { ok: false, reason: `bias is not 1-D of size ${n} (shape [${t.dims.join(', ')}])` };
  return { ok: true, values: t.data as Float32Array };
}

/** Per-channel symmetric int8 of a weight, computed once per (weight, axis, coding) and graph. */
export function int8Channels(
  ctx: HandlerContext,
  m: ConstantMatrix,
  axis: ChannelAxis,
  coding: Int8WeightCoding,
): ChannelQuantized {
  return ctx.memo(`int8/${axis}/${coding}/${m.name}`, () =>
    quantizeChannels(m.values, m.rows, m.cols, axis, codingLimits(coding)),
  );
}

export interface Int8Weight {
  /** int8 [K, N] initializer. */
  readonly data: Tensor;
  /** float [N] initializer. */
  readonly scale: Tensor;
}

/**
 * The int8 [K, N] weight and its per-column scale [N] of a MatMul B. `layout` 'nk' reads the matrix as
 * [N, K] (a Gemm B with transB=1): it is quantized per row, like an embedding table, and transposed.
 */
export function int8MatMulWeight(
  ctx: HandlerContext,
  m: ConstantMatrix,
  layout: 'kn' | 'nk',
  coding: Int8WeightCoding,
): Int8Weight {
  return ctx.memo(`int8-weight/${layout}/${coding}/${m.name}`, () => {
    if (layout === 'kn') {
      const q = int8Channels(ctx, m, 'columns', coding);
      return {
        data: makeTensor(ctx.fresh(`${m.name}_quantized`), DataType.INT8, [m.rows, m.cols], q.data),
        scale: float32Tensor(ctx.fresh(`${m.name}_scale`), [m.cols], q.scales),
      };
    }
    const q = int8Channels(ctx, m, 'rows', coding);
    return {
      data: makeTensor(
        ctx.fresh(`${m.name}_transposed_quantized`),
        DataType.INT8,
        [m.cols, m.rows],
        transpose(q.data, m.rows, m.cols),
      ),
      scale: int8RowTable(ctx, m, coding).scale,
    };
  });
}

export interface Int8Table {
  /** int8 [V, D] initializer. */
  readonly data: Tensor;
  /** float [V] initializer: one scale per row. */
  readonly scale: Tensor;
}

/** An embedding table [V, D] quantized per row, shared by every use of the table in this graph. */
export function int8RowTable(ctx: HandlerContext, m: ConstantMatrix, coding: Int8WeightCoding): Int8Table {
  return ctx.memo(`int8-table/${coding}/${m.name}`, () => {
    const q = int8Channels(ctx, m, 'rows', coding);
    return {
      data: makeTensor(ctx.fresh(`${m.name}_quantized`), DataType.INT8, [m.rows, m.cols], q.data),
      scale: float32Tensor(ctx.fresh(`${m.name}_scale`), [m.rows], q.scales),
    };
  });
}

/** A float32 constant derived from other values (a scale times alpha, a bias times beta), memoized by key. */
export function derivedFloat(
  ctx: HandlerContext,
  key: string,
  base: string,
  dims: readonly number[],
  make: () => Float32Array,
): Tensor {
  return ctx.memo(`derived/${key}`, () => float32Tensor(ctx.fresh(base), dims, make()));
}
