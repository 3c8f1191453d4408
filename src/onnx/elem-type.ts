/**
 * Output element types of common ops, so that GraphBuilder can type graph outputs without being told.
 * A rule gets the input element types and the node's attributes; undefined means "cannot tell".
 */
import { getInt, getTensor } from './attributes.js';
import { DataType } from './dtype.js';
import type { Node } from './ir.js';

type Rule = (inputs: readonly (DataType | undefined)[], node: Node) => readonly (DataType | undefined)[];

const same: Rule = (inputs, node) => node.outputs.map(() => inputs[0]);
const fixed =
  (...types: DataType[]): Rule =>
  () =>
    types;
const boolOut: Rule = fixed(DataType.BOOL);
const int64Out: Rule = fixed(DataType.INT64);

const RULES: Readonly<Record<string, Rule>> = {
  Cast: (_, n) => [getInt(n, 'to') as DataType],
  CastLike: (inputs) => [inputs[1]],
  Constant: (_, n) => [getTensor(n, 'value')?.dataType],
  ConstantOfShape: (_, n) => [getTensor(n, 'value')?.dataType ?? DataType.FLOAT],
  Shape: int64Out,
  Size: int64Out,
  NonZero: int64Out,
  ArgMax: int64Out,
  ArgMin: int64Out,
  Equal: boolOut,
  Less: boolOut,
  LessOrEqual: boolOut,
  Greater: boolOut,
  GreaterOrEqual: boolOut,
  Not: boolOut,
  And: boolOut,
  Or: boolOut,
  Xor: boolOut,
  IsNaN: boolOut,
  IsInf: boolOut,
  Where: (inputs) => [inputs[1]],
  TopK: (inputs) => [inputs[0], DataType.INT64],
  Dropout: (inputs, n) => n.outputs.map((_, i) => (i === 0 ? inputs[0] : DataType.BOOL)),
  LayerNormalization: (inputs, n) => n.outputs.map((_, i) => (i === 0 ? inputs[0] : DataType.FLOAT)),
  DequantizeLinear: (inputs) => [inputs[1]],
  QuantizeLinear: (inputs) => [inputs[2] ?? DataType.UINT8],
  DynamicQuantizeLinear: fixed(DataType.UINT8, DataType.FLOAT, DataType.UINT8),
  MatMulInteger: fixed(DataType.INT32),
  OneHot: (inputs) => [inputs[2]],
  Range: (inputs) => [inputs[0]],
  EyeLike: (inputs, n) => [(getInt(n, 'dtype', 0) || inputs[0]) as DataType | undefined],
  RandomUniformLike: (inputs, n) => [(getInt(n, 'dtype', 0) || inputs[0]) as DataType | undefined],
  RandomNormalLike: (inputs, n) => [(getInt(n, 'dtype', 0) || inputs[0]) as DataType | undefined],
};

/** com.microsoft ops whose output type is not simply their first input's. */
const MS_RULES: Readonly<Record<string, Rule>> = {
  DynamicQuantizeMatMul: fixed(DataType.FLOAT),
  MatMulIntegerToFloat: (inputs) => [inputs[2]],
  MatMulNBits: (inputs) => [inputs[0]],
};

export function inferOutputTypes(
  node: Node,
  inputs: readonly (DataType | undefined)[],
): (DataType | undefined)[] {
  const table =
    node.domain === 'com.microsoft' ? MS_RULES : node.domain === '' || node.domain === 'ai.onnx' ? RULES : {};
  const rule = Object.hasOwn(table, node.opType) ? table[node.opType]! : same;
  try {
    const types = rule(inputs, node);
    return node.outputs.map((_, i) => types[i]);
  } catch {
    return node.outputs.map(() => undefined);
  }
}
