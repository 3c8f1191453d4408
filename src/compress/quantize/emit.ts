/**
 * The replacement node groups the MatMul and Gemm handlers share: com.microsoft DynamicQuantizeMatMul,
 * com.microsoft MatMulNBits, and a QDQ MatMul (QuantizeLinear → DequantizeLinear on the activation,
 * DequantizeLinear on the int8 weight) that ONNX Runtime fuses into QuantizeLinear + MatMulIntegerToFloat.
 * Input lists and types follow docs/ContribOperators.md (compression.md §8).
 */
import { attr } from '../../onnx/attributes.js';
import { DataType } from '../../onnx/dtype.js';
import type { Node, Tensor } from '../../onnx/ir.js';
import { makeTensor } from '../../onnx/tensor.js';
import type { NBitsWeight } from './blockwise.js';
import { type HandlerContext, makeMsNode, makeNode } from './rewrite.js';
import type { QuantParams } from './scale.js';

export interface Emitted {
  readonly nodes: readonly Node[];
  readonly initializers: readonly Tensor[];
}

/** Drops trailing omitted ('') optional inputs. */
function trimInputs(inputs: readonly string[]): string[] {
  const out = [...inputs];
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** int8 zeros [n], one per graph and size. */
function int8Zeros(ctx: HandlerContext, n: number): Tensor {
  return ctx.memo(`int8-zeros/${n}`, () =>
    makeTensor(ctx.fresh(`zero_point_int8_${n}`), DataType.INT8, [n], new Int8Array(n)),
  );
}

export interface DqmmSpec {
  readonly base: string;
  readonly a: string;
  /** int8 [K, N] value (an initializer, or a Transpose of a shared table). */
  readonly weight: string;
  /** float [N] value. */
  readonly scale: string;
  readonly n: number;
  readonly bias?: string;
  readonly output: string;
  /** Give the explicit int8 zero-point input. */
  readonly zeroPoint: boolean;
}

/** DynamicQuantizeMatMul(A, B, b_scale, b_zero_point?, bias?) → Y. */
export function emitDynamicQuantizeMatMul(ctx: HandlerContext, spec: DqmmSpec): Emitted {
  const zp = spec.zeroPoint ? int8Zeros(ctx, spec.n) : undefined;
  const node = makeMsNode(
    ctx,
    `${spec.base}_quant`,
    'DynamicQuantizeMatMul',
    trimInputs([spec.a, spec.weight, spec.scale, zp?.name ?? '', spec.bias ?? '']),
    [spec.output],
  );
  return { nodes: [node], initializers: zp === undefined ? [] : [zp] };
}

export interface NBitsSpec {
  readonly base: string;
  readonly a: string;
  readonly weight: NBitsWeight;
  /** Initializer name stem for B, scales and zero points: the float weight's name. */
  readonly stem: string;
  /** How the float weight was read ([K, N] or [N, K]); part of the memo key with the stem. */
  readonly layout: 'kn' | 'nk';
  /** Scale multiplier (Gemm's alpha), 1 for none. */
  readonly alpha: number;
  readonly bias?: string;
  readonly output: string;
  readonly accuracyLevel: number;
}

/** MatMulNBits(A, B, scales, zero_points?, g_idx (omitted), bias?) → Y, with K, N, bits, block_size. */
export function emitMatMulNBits(ctx: HandlerContext, spec: NBitsSpec): Emitted {
  const w = spec.weight;
  const key = `nbits/${spec.layout}/${spec.stem}/${w.bits}/${w.blockSize}/${w.zeroPoints === undefined ? 's' : 'a'}`;
  const tensors = ctx.memo(key, () => {
    const b = makeTensor(
      ctx.fresh(`${spec.stem}_q${w.bits}`),
      DataType.UINT8,
      [w.n, w.blocks, w.blobSize],
      w.data,
    );
    const zp =
      w.zeroPoints === undefined
        ? undefined
        : makeTensor(
            ctx.fresh(`${spec.stem}_q${w.bits}_zero_point`),
            DataType.UINT8,
            [w.zeroPoints.length],
            w.zeroPoints,
          );
    return { b, zp };
  });
  const scales = ctx.memo(`${key}/scales/${spec.alpha}`, () =>
    makeTensor(
      ctx.fresh(`${spec.stem}_q${w.bits}_scale`),
      DataType.FLOAT,
      [w.scales.length],
      spec.alpha === 1 ? w.scales : w.scales.map((s) => s * spec.alpha),
    ),
  );
  const node = makeMsNode(
    ctx,
    `${spec.base}_quant`,
    'MatMulNBits',
    trimInputs([spec.a, tensors.b.name, scales.name, tensors.zp?.name ?? '', '', spec.bias ?? '']),
    [spec.output],
    {
      K: attr.int(w.k),
      N: attr.int(w.n),
      bits: attr.int(w.bits),
      block_size: attr.int(w.blockSize),
      accuracy_level: attr.int(spec.accuracyLevel),
    },
  );
  const initializers = [tensors.b, scales, ...(tensors.zp === undefined ? [] : [tensors.zp])];
  return { nodes: [node], initializers };
}

export interface ActivationQuant {
  readonly params: QuantParams;
  readonly type: 'uint8' | 'int8';
}

export interface QdqSpec {
  readonly base: string;
  readonly x: string;
  readonly activation: ActivationQuant;
  /** int8 [K, N] initializer and its float [N] scale. */
  readonly weight: Tensor;
  readonly scale: Tensor;
  readonly output: string;
}

/**
 * Q → DQ on the activation (one QuantizeLinear per activation, shared by its MatMuls; a DequantizeLinear per
 * MatMul, since ORT's QDQ selectors want a DQ per node unit) and per-column DQ on the weight (axis 1).
 */
export function emitQdqMatMul(ctx: HandlerContext, spec: QdqSpec): Emitted {
  const { params, type } = spec.activation;
  const elem = type === 'uint8' ? DataType.UINT8 : DataType.INT8;
  const actKey = `act/${spec.x}/${type}/${params.scale}/${params.zeroPoint}`;
  const act = ctx.memo(actKey, () => {
    const scale = makeTensor(ctx.fresh(`${spec.x}_scale`), DataType.FLOAT, [], Float32Array.of(params.scale));
    const zeroPoint = makeTensor(
      ctx.fresh(`${spec.x}_zero_point`),
      elem,
      [],
      type === 'uint8' ? Uint8Array.of(params.zeroPoint) : Int8Array.of(params.zeroPoint),
    );
    const quantized = ctx.fresh(`${spec.x}_quantized`);
    const q = makeNode(
      ctx,
      `${spec.x}_QuantizeLinear`,
      'QuantizeLinear',
      [spec.x, scale.name, zeroPoint.name],
      [quantized],
    );
    return { scale, zeroPoint, quantized, q };
  });
  const xd = ctx.fresh(`${spec.base}_input_dequantized`);
  const dqX = makeNode(
    ctx,
    `${spec.base}_input_DequantizeLinear`,
    'DequantizeLinear',
    [act.quantized, act.scale.name, act.zeroPoint.name],
    [xd],
  );
  const n = spec.scale.dims[0]!;
  const zp = int8Zeros(ctx, n);
  const wd = ctx.fresh(`${spec.base}_weight_dequantized`);
  const dqW = makeNode(
    ctx,
    `${spec.base}_weight_DequantizeLinear`,
    'DequantizeLinear',
    [spec.weight.name, spec.scale.name, zp.name],
    [wd],
    { axis: attr.int(1) },
  );
  const matmul = makeNode(ctx, `${spec.base}_quant`, 'MatMul', [xd, wd], [spec.output]);
  return {
    nodes: [act.q, dqX, dqW, matmul],
    initializers: [act.scale, act.zeroPoint, spec.weight, spec.scale, zp],
  };
}
