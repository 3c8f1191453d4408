/**
 * Parameters and non-zero parameters of a model, counted in the weights' own coding so that pruned, int8 and
 * 4-bit variants compare on one scale:
 *   - floating-point initializers count every element; an element is non-zero when its value is;
 *   - integer-coded weights (DequantizeLinear, DynamicQuantizeMatMul, MatMulInteger, MatMulNBits inputs) count
 *     their logical elements; an element is non-zero when its code differs from its zero point (the value it
 *     dequantizes to is then non-zero);
 *   - other int8 / uint8 / int4 / uint4 initializers are symmetric codes (zero at 0, or mid-range unsigned);
 *   - quantization scales and zero points, shapes, indices and other integer constants are not parameters.
 * A weight stored twice (a tied embedding kept in float for Gather and quantized for the output projection)
 * counts twice: the count is of what the file holds.
 *   - pruned weights stored as values + bitmask count as the dense weights they decode to.
 * Pure: reads the model, writes nothing.
 */

import { decodeSparseWeights } from '../compress/prune/index.js';
import { getInt } from '../onnx/attributes.js';
import { DataType, numel } from '../onnx/dtype.js';
import type { Graph, Model, Node, Tensor } from '../onnx/ir.js';
import { tensorToFloat32, tensorToNumbers } from '../onnx/tensor-values.js';
import { embeddingFacts } from '../onnx/tied-weights.js';
import { walkGraphs } from '../onnx/traverse.js';

export interface ParameterCount {
  readonly parameters: number;
  readonly nonZero: number;
}

const FLOAT_TYPES: ReadonlySet<DataType> = new Set([
  DataType.FLOAT,
  DataType.FLOAT16,
  DataType.BFLOAT16,
  DataType.DOUBLE,
]);

/** Integer types that code weights (not shapes or indices), with the code of zero when no zero point is given. */
const CODE_TYPES: ReadonlyMap<DataType, number> = new Map([
  [DataType.INT8, 0],
  [DataType.UINT8, 128],
  [DataType.INT4, 0],
  [DataType.UINT4, 8],
]);

/** How one quantized weight is read: its zero point per element, or a MatMulNBits block layout. */
type Coding =
  | { readonly kind: 'zero-point'; readonly zeroPoint: (index: number) => number }
  | { readonly kind: 'nbits'; readonly node: Node; readonly zeroPoints?: Tensor }
  | { readonly kind: 'not-a-parameter' };

/** Which input of each quantized op is a weight, and which are its scale and zero point. */
interface QuantRule {
  readonly weight: number;
  readonly scale: number;
  readonly zeroPoint: number;
  /** Zero points per output column of a [K, N] weight (index % N) rather than per tensor or axis. */
  readonly perColumn?: boolean;
}

const QUANT_RULES: Readonly<Record<string, QuantRule>> = {
  DequantizeLinear: { weight: 0, scale: 1, zeroPoint: 2 },
  DynamicQuantizeMatMul: { weight: 1, scale: 2, zeroPoint: 3, perColumn: true },
  MatMulInteger: { weight: 1, scale: -1, zeroPoint: 3, perColumn: true },
  MatMulIntegerToFloat: { weight: 1, scale: 3, zeroPoint: 5, perColumn: true },
  MatMulNBits: { weight: 1, scale: 2, zeroPoint: 3 },
};

function zeroPointOf(
  node: Node,
  rule: QuantRule,
  weight: Tensor,
  zp: Tensor | undefined,
): (i: number) => number {
  if (zp === undefined) return () => 0;
  const values = tensorToNumbers(zp);
  if (values.length === 1) return () => values[0]!;
  if (rule.perColumn) {
    const n = weight.dims.at(-1) ?? 1;
    return (i) => values[i % n]!;
  }
  // DequantizeLinear per axis: the zero point of element i is the one of its index along `axis`.
  const rank = weight.dims.length;
  const axis = (getInt(node, 'axis', 1) + rank) % rank;
  const inner = weight.dims.slice(axis + 1).reduce((a, d) => a * d, 1);
  const size = weight.dims[axis] ?? 1;
  return (i) => values[Math.floor(i / inner) % size]!;
}

function codings(graph: Graph): Map<string, Coding> {
  const out = new Map<string, Coding>();
  for (const node of graph.nodes) {
    const rule = QUANT_RULES[node.opType];
    if (rule === undefined) continue;
    const weight = graph.initializers.get(node.inputs[rule.weight] ?? '');
    const zp = graph.initializers.get(node.inputs[rule.zeroPoint] ?? '');
    for (const index of [rule.scale, rule.zeroPoint]) {
      const name = node.inputs[index];
      if (name) out.set(name, { kind: 'not-a-parameter' });
    }
    if (weight === undefined || FLOAT_TYPES.has(weight.dataType)) continue;
    out.set(
      weight.name,
      node.opType === 'MatMulNBits'
        ? { kind: 'nbits', node, ...(zp !== undefined && { zeroPoints: zp }) }
        : { kind: 'zero-point', zeroPoint: zeroPointOf(node, rule, weight, zp) },
    );
  }
  return out;
}

/** MatMulNBits B [N, blocks, blob] of `bits`-bit codes, K logical elements per row (padding not counted). */
function countNBits(b: Tensor, node: Node, zeroPoints: Tensor | undefined): ParameterCount {
  const k = getInt(node, 'K');
  const n = getInt(node, 'N');
  const bits = getInt(node, 'bits', 4);
  const blockSize = getInt(node, 'block_size');
  const blocks = Math.ceil(k / blockSize);
  const blob = (blockSize * bits) / 8;
  const bytes = b.data as Uint8Array;
  const zpBytes = zeroPoints?.dataType === DataType.UINT8 ? (zeroPoints.data as Uint8Array) : undefined;
  const zpRow = Math.ceil((blocks * bits) / 8);
  const code = (packed: Uint8Array, element: number): number => {
    if (bits === 8) return packed[element]!;
    const perByte = 8 / bits;
    const byte = packed[Math.floor(element / perByte)]!;
    return (byte >> ((element % perByte) * bits)) & ((1 << bits) - 1);
  };
  const fallback = 1 << (bits - 1);
  let nonZero = 0;
  for (let row = 0; row < n; row++) {
    const rowBytes = bytes.subarray(row * blocks * blob, (row + 1) * blocks * blob);
    const rowZp = zpBytes?.subarray(row * zpRow, (row + 1) * zpRow);
    for (let j = 0; j < k; j++) {
      const block = Math.floor(j / blockSize);
      const zp = rowZp === undefined ? fallback : code(rowZp, block);
      if (code(rowBytes, block * blockSize + (j % blockSize)) !== zp) nonZero += 1;
    }
  }
  return { parameters: k * n, nonZero };
}

function countTensor(t: Tensor, coding: Coding | undefined): ParameterCount {
  if (coding?.kind === 'not-a-parameter') return { parameters: 0, nonZero: 0 };
  if (coding?.kind === 'nbits') return countNBits(t, coding.node, coding.zeroPoints);
  const n = numel(t.dims);
  if (coding?.kind === 'zero-point') {
    const values = tensorToNumbers(t);
    let nonZero = 0;
    for (let i = 0; i < n; i++) if (values[i] !== coding.zeroPoint(i)) nonZero += 1;
    return { parameters: n, nonZero };
  }
  const defaultZero = CODE_TYPES.get(t.dataType);
  if (defaultZero !== undefined) {
    // An integer-coded weight no known quantized op reads directly (e.g. an int8 table read by Gather and by
    // Transpose into the tied output projection): symmetric codes, zero at 0 (signed) or mid-range (unsigned).
    const values = tensorToNumbers(t);
    let nonZero = 0;
    for (let i = 0; i < n; i++) if (values[i] !== defaultZero) nonZero += 1;
    return { parameters: n, nonZero };
  }
  if (!FLOAT_TYPES.has(t.dataType)) return { parameters: 0, nonZero: 0 };
  const values = tensorToFloat32(t);
  let nonZero = 0;
  for (let i = 0; i < n; i++) if (values[i] !== 0) nonZero += 1;
  return { parameters: n, nonZero };
}

/**
 * Parameters and non-zero parameters of every graph of `model` (subgraphs included); a float copy of an
 * embedding table (a tied LM head that an exporter constant-folded) is the same parameters, counted once.
 */
export function countParameters(model: Model): ParameterCount {
  let parameters = 0;
  let nonZero = 0;
  // Pruned weights stored as values + bitmask (sparse-encode.ts) count as the dense weights they decode to.
  const decoded = decodeSparseWeights(model.graph).graph;
  const copies = new Set(embeddingFacts(decoded).copies.map((c) => c.copy));
  walkGraphs(decoded, (graph) => {
    const coded = codings(graph);
    for (const t of graph.initializers.values()) {
      if (copies.has(t.name)) continue;
      const c = countTensor(t, coded.get(t.name));
      parameters += c.parameters;
      nonZero += c.nonZero;
    }
    for (const s of graph.sparseInitializers) {
      const c = countTensor(s.values, undefined);
      parameters += numel(s.dims);
      nonZero += c.nonZero;
    }
  });
  return { parameters, nonZero };
}
