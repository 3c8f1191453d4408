/** The ONNX core: TLC's only module that touches protobuf. */
export {
  attr,
  getFloat,
  getFloats,
  getInt,
  getInts,
  getString,
  getTensor,
  hasAttr,
  subgraphsOf,
} from './attributes.js';
export { type BuilderOptions, GraphBuilder, MS_DOMAIN, type OpOptions, type TypeSpec } from './builder.js';
export {
  byteLength,
  DataType,
  type DataTypeInfo,
  type DataTypeName,
  dataTypeInfo,
  dataTypeName,
  isKnownDataType,
  numel,
  parseDataType,
} from './dtype.js';
export {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  fromBfloat16Array,
  fromFloat16Array,
  toBfloat16Array,
  toFloat16Array,
} from './float16.js';
export { allDefinedNames, GraphIndex, indexGraph, nodeReads, outerReferences } from './graph-index.js';
export { describeType, type ModelSummary, summarize, type ValueSummary } from './inspect.js';
export { packInt4, packUint4, unpackInt4, unpackUint4 } from './int4.js';
export {
  type DecodeOptions,
  decodeModel,
  encodeModel,
  INLINE_LIMIT_BYTES,
  loadModel,
  type SaveOptions,
  type SaveResult,
  saveModel,
  tensorDataBytes,
} from './io.js';
export * from './ir.js';
export {
  bfloat16Tensor,
  boolTensor,
  float16Tensor,
  float32Tensor,
  int4Tensor,
  int8Tensor,
  int32Tensor,
  int64Tensor,
  makeTensor,
  stringTensor,
  tensorByteLength,
  tensorBytes,
  tensorFromNumbers,
  tensorsEqual,
  uint4Tensor,
  uint8Tensor,
} from './tensor.js';
export { tensorToFloat32, tensorToNumbers } from './tensor-values.js';
export { isTopologicallySorted, topologicalOrder } from './topo.js';
export { allNodes, hasSubgraphs, mapNodeSubgraphs, walkGraphs } from './traverse.js';
