/**
 * Quantization passes. Each is a pure graph rewrite `(graph, options) → { graph, changes, opsets }`;
 * `quantizeModel` runs one on a model and adds the opset imports it needs. Calibration (which runs the model
 * in ONNX Runtime) is separate and asynchronous.
 */
export type { NodeSelection, Pattern } from '../common/selection.js';
export { dequantizeNBits, type NBitsWeight, quantizeNBits } from './blockwise.js';
export { type CalibrateOptions, type CalibrationMethod, calibrate, calibrationTargets } from './calibrate.js';
export type { QuantizeCommonOptions, QuantizeResult } from './driver.js';
export { DYNAMIC_INT8_PASS, dynamicInt8 } from './dynamic-int8.js';
export { FLOAT16_PASS, toFloat16 } from './float16.js';
export { entropyRange, Histogram, percentileRange, RangeTracker } from './histogram.js';
export { type QuantizePass, quantizeModel } from './model.js';
export type {
  DynamicInt8Options,
  EmbeddingLayout,
  Float16Options,
  Ranges,
  StaticQdqOptions,
  TensorRange,
  WeightOnlyNBitsOptions,
} from './options.js';
export { type PackBits, packBits, unpackBits } from './pack.js';
export { FP16_CONTRIB_OPS, FP32_OPS } from './registry.js';
export {
  asymmetricParams,
  type QuantParams,
  type QuantRange,
  type QuantType,
  quantParams,
  quantRange,
  symmetricParams,
} from './scale.js';
export { STATIC_QDQ_PASS, staticQdq } from './static-qdq.js';
export { WEIGHT_NBITS_PASS, weightOnlyNBits } from './weight-nbits.js';
