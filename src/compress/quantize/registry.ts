/**
 * Which handler quantizes which op type, per pass; and which op types the float16 conversion keeps in
 * float32. Only tables: adding an op means adding a handler file under operators/ and a row here.
 */
import { gatherInt8 } from './operators/gather.js';
import { gemmDynamicInt8, gemmNBits, gemmStaticQdq } from './operators/gemm.js';
import { matmulDynamicInt8, matmulNBits, matmulStaticQdq } from './operators/matmul.js';
import type { Handler, HandlerTable } from './rewrite.js';
import {
  type DynamicInt8Settings,
  type NBitsSettings,
  resolveDynamicInt8,
  type StaticQdqSettings,
} from './settings.js';

/**
 * Embedding tables in every integer recipe: int8 rows with one scale each, as dynamic int8 stores them (the
 * measured default layout). Without this, q4 and static-int8 files kept float tables and a 4-bit file was
 * larger than an 8-bit one. A table only gathered from keeps full 8-bit codes; one shared with a tied head
 * (kept int8 by the n-bit recipe, gemm.ts) takes the pair-bounded GEMM coding.
 */
const EMBEDDING_INT8: DynamicInt8Settings = resolveDynamicInt8({});
const gatherAsInt8 =
  <S>(): Handler<S> =>
  (node, ctx) =>
    gatherInt8(node, ctx, EMBEDDING_INT8);

export const DYNAMIC_INT8_HANDLERS: HandlerTable<DynamicInt8Settings> = {
  MatMul: matmulDynamicInt8,
  Gemm: gemmDynamicInt8,
  Gather: gatherInt8,
};

export const STATIC_QDQ_HANDLERS: HandlerTable<StaticQdqSettings> = {
  MatMul: matmulStaticQdq,
  Gemm: gemmStaticQdq,
  Gather: gatherAsInt8<StaticQdqSettings>(),
};

export const WEIGHT_NBITS_HANDLERS: HandlerTable<NBitsSettings> = {
  MatMul: matmulNBits,
  Gemm: gemmNBits,
  Gather: gatherAsInt8<NBitsSettings>(),
};

/**
 * Op types toFloat16 keeps in float32 by default: normalisation and its statistics, exponentials and
 * logarithms, losses (float16's 10-bit mantissa and 65504 range lose them), the quantized ops (float32
 * scales), and ops whose float inputs must be float32 or that have no float16 kernels (Range, Resize…).
 */
export const FP32_OPS: readonly string[] = [
  'LayerNormalization',
  'SkipLayerNormalization',
  'SimplifiedLayerNormalization',
  'BatchNormalization',
  'InstanceNormalization',
  'GroupNormalization',
  'Softmax',
  'LogSoftmax',
  'ReduceMean',
  'ReduceSumSquare',
  'ReduceLogSumExp',
  'Pow',
  'Sqrt',
  'Reciprocal',
  'Exp',
  'Log',
  'SoftmaxCrossEntropyLoss',
  'NegativeLogLikelihoodLoss',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
  'MatMulNBits',
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'Range',
  'Resize',
  'Upsample',
  'RoiAlign',
  'NonMaxSuppression',
];

/** com.microsoft ops converted to float16 like default-domain ops (their kernels take float16); others stay float32. */
export const FP16_CONTRIB_OPS: readonly string[] = ['Gelu', 'FastGelu', 'BiasGelu', 'QuickGelu', 'BiasAdd'];
