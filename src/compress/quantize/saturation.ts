/**
 * Which int8 weights of a model an integer GEMM reads (u8 or s8 activations × s8 weights, where x86 kernels
 * without VNNI add byte pairs in int16), and whether any of them can saturate (int8-coding.ts says why).
 * Works on any model: TLC's variants and int8 files other tools wrote.
 *
 * GEMM weights recognised, as ONNX Runtime runs them on CPU:
 * - com.microsoft DynamicQuantizeMatMul, MatMulIntegerToFloat and ONNX MatMulInteger: input B;
 * - QLinearMatMul: input b (index 3);
 * - a MatMul whose B is DequantizeLinear(int8 constant): ORT fuses it with a quantized A into
 *   MatMulIntegerToFloat or QLinearMatMul;
 * - B may be a Transpose (perm [1, 0]) of an int8 constant (TLC's tied head): ORT folds it at load.
 */
import { getTensor } from '../../onnx/attributes.js';
import { DataType } from '../../onnx/dtype.js';
import type { Graph, Node, Tensor } from '../../onnx/ir.js';
import { allNodes, walkGraphs } from '../../onnx/traverse.js';
import { decodeSparseWeights } from '../prune/sparse-decode.js';
import { transpose } from './channel.js';
import { type PairSaturation, pairSaturation } from './int8-coding.js';

export interface GemmWeight {
  /** The GEMM node's name (or op type when unnamed). */
  readonly node: string;
  /** The int8 initializer holding the codes. */
  readonly initializer: string;
  readonly k: number;
  readonly n: number;
  /** Codes as the kernel reads them, [K, N] row-major. */
  readonly codes: Int8Array;
}

const B_INPUT: Readonly<Record<string, number>> = {
  'com.microsoft::DynamicQuantizeMatMul': 1,
  'com.microsoft::MatMulIntegerToFloat': 1,
  '::MatMulInteger': 1,
  '::QLinearMatMul': 3,
};

function int8Constants(graph: Graph): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  walkGraphs(graph, (g) => {
    for (const [name, t] of g.initializers) if (t.dataType === DataType.INT8) out.set(name, t);
    for (const n of g.nodes) {
      const value = n.opType === 'Constant' ? getTensor(n, 'value') : undefined;
      if (value !== undefined && value.dataType === DataType.INT8 && n.outputs[0] !== undefined)
        out.set(n.outputs[0], value);
    }
  });
  return out;
}

/** The int8 [K, N] codes behind a B input: a constant, or a Transpose/DequantizeLinear of one. */
function codesOf(
  name: string,
  constants: ReadonlyMap<string, Tensor>,
  producers: ReadonlyMap<string, Node>,
):
  | { readonly initializer: string; readonly k: number; readonly n: number; readonly codes: Int8Array }
  | undefined {
  const direct = constants.get(name);
  if (direct !== undefined && direct.dims.length === 2) {
    const [k, n] = direct.dims as [number, number];
    return { initializer: direct.name || name, k, n, codes: direct.data as Int8Array };
  }
  const producer = producers.get(name);
  if (producer === undefined) return undefined;
  const source = producer.inputs[0];
  if (source === undefined) return undefined;
  if (producer.opType === 'DequantizeLinear') return codesOf(source, constants, producers);
  if (producer.opType === 'Transpose') {
    const t = constants.get(source);
    if (t === undefined || t.dims.length !== 2) return undefined;
    const [rows, cols] = t.dims as [number, number];
    return {
      initializer: t.name || source,
      k: cols,
      n: rows,
      codes: transpose(t.data as Int8Array, rows, cols),
    };
  }
  return undefined;
}

/** Every int8 weight an integer GEMM of the model (subgraphs included) reads. */
export function gemmInt8Weights(graph: Graph): GemmWeight[] {
  const constants = int8Constants(graph);
  const nodes = allNodes(graph);
  const producers = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) if (o !== '') producers.set(o, n);
  const out: GemmWeight[] = [];
  for (const node of nodes) {
    const key = `${node.domain === 'ai.onnx' ? '' : node.domain}::${node.opType}`;
    let b: string | undefined;
    if (Object.hasOwn(B_INPUT, key)) b = node.inputs[B_INPUT[key]!];
    else if (key === '::MatMul' && producers.get(node.inputs[1] ?? '')?.opType === 'DequantizeLinear')
      b = node.inputs[1];
    if (b === undefined || b === '') continue;
    const found = codesOf(b, constants, producers);
    if (found !== undefined) out.push({ node: node.name || node.opType, ...found });
  }
  return out;
}

export interface ModelSaturation extends PairSaturation {
  /** GEMM weights checked. */
  readonly weights: number;
  /** Those with at least one pair that can saturate. */
  readonly saturatingWeights: readonly string[];
}

/**
 * The pair check (int8-coding.ts) over every GEMM weight of the model; bitmask-stored pruned weights are decoded
 * first, as ONNX Runtime folds them at load.
 */
export function modelSaturation(stored: Graph): ModelSaturation {
  const graph = decodeSparseWeights(stored).graph;
  let worstPositive = 0;
  let worstNegative = 0;
  let saturatingPairs = 0;
  let pairs = 0;
  const saturatingWeights: string[] = [];
  const weights = gemmInt8Weights(graph);
  for (const w of weights) {
    const s = pairSaturation(w.codes, w.k, w.n);
    worstPositive = Math.max(worstPositive, s.worstPositive);
    worstNegative = Math.min(worstNegative, s.worstNegative);
    saturatingPairs += s.saturatingPairs;
    pairs += s.pairs;
    if (s.saturatingPairs > 0) saturatingWeights.push(w.initializer);
  }
  return { worstPositive, worstNegative, saturatingPairs, pairs, weights: weights.length, saturatingWeights };
}
