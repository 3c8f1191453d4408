/**
 * Which handler quantizes which op type, per pass; and which op types the float16 conversion keeps in
 * float32. Only tables: adding an op means adding a handler file under operators/ and a row here.
 */
import { gatherInt8 } from './operators/gather.js';
import { gemmDynamicInt8, gemmNBits, gemmStaticQdq } from './operators/gemm.js';
import { matmulDynamicInt8, matmulNBits, matmulStaticQdq } from './operators/matmul.js';
import type { HandlerTable } from './rewrite.js';
import type { DynamicInt8Settings, NBitsSettings, StaticQdqSettings } from './settings.js';

export const DYNAMIC_INT8_HANDLERS: HandlerTable<DynamicInt8Settings> = {
  MatMul: matmulDynamicInt8,
  Gemm: gemmDynamicInt8,
  Gather: gatherInt8,
};

export const STATIC_QDQ_HANDLERS: HandlerTable<StaticQdqSettings> = {
  MatMul: matmulStaticQdq,
  Gemm: gemmStaticQdq,
};

export const WEIGHT_NBITS_HANDLERS: HandlerTable<NBitsSettings> = {
  MatMul: matmulNBits,
  Gemm: gemmNBits,
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
