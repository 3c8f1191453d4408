/**
 * Parameters of a model as PyTorch counts them, whatever a compressor did to their storage — the one count
 * `tlc inspect`, tlc.json and the compression report use (issue 28: an int8 variant counted 57.0M parameters
 * of a 41.4M model, and inspect and tlc.json disagreed on the fp32 one).
 *
 * A parameter is an element of a weight: a float initializer of more than one element, the codes of a quantized
 * one (at MatMulNBits' B, its K × N elements), or a pruned one stored as values + bitmask (its dense elements).
 * Scales and zero points, bitmasks, shape constants and the per-row scales of a quantized table are not. A
 * weight is counted once: a tied LM head stored as its own copy of the embedding table (float, or quantized
 * apart from the table) is the table again, an Identity that renames an initializer PyTorch stored once is a
 * parameter of its own, and a matrix that an earlier graph holds (an embedding encoder and decoder share) is
 * not counted again.
 */
import { DataType, numel } from './dtype.js';
import type { Graph, Node, Tensor } from './ir.js';
import type { TiedCopy } from './tied-weights.js';
import { walkGraphs } from './traverse.js';
import { type SignView, sameWeight, signView } from './weight-signs.js';

export interface ParameterCount {
  readonly total: number;
  readonly nonEmbedding: number;
  /** Parameters that are exactly zero, counted in weights of at least 1024 elements (biases start at zero). */
  readonly zeros: number;
  /** Initializers that repeat an embedding table (tied heads), not counted. */
  readonly tiedCopies: readonly string[];
  /** … each with the table it repeats, whether transposed, and the elements not counted again. */
  readonly copies: readonly (TiedCopy & { readonly elements: number })[];
}

interface Use {
  readonly node: Node;
  readonly index: number;
}

const FLOATS: ReadonlySet<number> = new Set([DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16]);
const CODES: ReadonlySet<number> = new Set([DataType.INT8, DataType.UINT8, DataType.INT4, DataType.UINT4]);

const opKey = (n: Node) =>
  n.domain === '' || n.domain === 'ai.onnx' ? n.opType : `${n.domain}::${n.opType}`;

/** Inputs that hold quantization parameters (scales, zero points, group indices), not weights. */
const METADATA_INPUTS: Readonly<Record<string, readonly number[]>> = {
  QuantizeLinear: [1, 2],
  DequantizeLinear: [1, 2],
  MatMulInteger: [2, 3],
  QLinearMatMul: [1, 2, 4, 5, 6, 7],
  'com.microsoft::DynamicQuantizeMatMul': [2, 3],
  'com.microsoft::MatMulNBits': [2, 3, 4],
  'com.microsoft::MatMulIntegerToFloat': [2, 3, 4, 5],
  'com.microsoft::GatherBlockQuantized': [2, 3],
};

/** Inputs where 8- or 4-bit codes are a weight (elsewhere such a tensor is a mask or a lookup constant). */
const CODE_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Gather: [0],
  DequantizeLinear: [0],
  MatMulInteger: [1],
  QLinearMatMul: [3],
  'com.microsoft::DynamicQuantizeMatMul': [1],
  'com.microsoft::MatMulNBits': [1],
  'com.microsoft::MatMulIntegerToFloat': [1],
  'com.microsoft::GatherBlockQuantized': [0],
};

const at = (table: Readonly<Record<string, readonly number[]>>, u: Use) =>
  table[opKey(u.node)]?.includes(u.index) ?? false;

/** One graph level's readers of each name and producer of each value. */
function index(g: Graph) {
  const uses = new Map<string, Use[]>();
  const producer = new Map<string, Node>();
  for (const node of g.nodes) {
    node.inputs.forEach((name, i) => {
      if (name !== '') uses.set(name, [...(uses.get(name) ?? []), { node, index: i }]);
    });
    for (const out of node.outputs) producer.set(out, node);
  }
  return { uses, producer };
}

/** Elements of the dense weight a sparse encoding (prune/sparse-encode.ts) rebuilds: Reshape(Gather(values), dims). */
function denseElements(g: Graph, uses: ReadonlyMap<string, Use[]>, list: readonly Use[]): number | undefined {
  const gather =
    list.length === 1 && list[0]!.index === 0 && list[0]!.node.opType === 'Gather' ? list[0]! : undefined;
  const reshape =
    gather && (uses.get(gather.node.outputs[0] ?? '') ?? []).find((u) => u.node.opType === 'Reshape');
  const shape = reshape && g.initializers.get(reshape.node.inputs[1] ?? '');
  if (shape === undefined || shape.dataType !== DataType.INT64) return undefined;
  return (Array.from(shape.data as BigInt64Array) as bigint[]).reduce((p, d) => p * Number(d), 1);
}

interface Weight {
  readonly name: string;
  readonly tensor: Tensor;
  readonly elements: number;
  /** Read as the data of a Gather: an embedding table. */
  readonly table: boolean;
  readonly view: SignView | undefined;
  /** Stored as the non-zero values of a pruned weight (the rest of its elements are zeros). */
  readonly sparse: boolean;
}

/** Whether element `i` of a float or code tensor is a zero (codes symmetric around 0, as the values of a pruned one). */
function zeroAt(t: Tensor): (i: number) => boolean {
  if (t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16) {
    const bits = t.data as Uint16Array;
    return (i) => (bits[i]! & 0x7fff) === 0;
  }
  const data = t.data as ArrayLike<number>;
  return (i) => data[i] === 0;
}

/** The exactly-zero elements of a counted weight (0 below 1024 elements, and for storages this cannot read). */
function zerosOf(w: Weight): number {
  if (w.elements < 1024 || Array.isArray(w.tensor.data)) return 0;
  const n = w.tensor.data.length;
  if (w.sparse) {
    const zero = zeroAt(w.tensor);
    let kept = 0;
    for (let i = 0; i < n; i++) if (!zero(i)) kept += 1;
    return w.elements - kept;
  }
  let zeros = 0;
  if (w.view !== undefined) {
    const { rows, cols, sign } = w.view;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (sign(r, c) === 0) zeros += 1;
    return zeros;
  }
  if (!FLOATS.has(w.tensor.dataType) || n !== w.elements) return 0;
  const zero = zeroAt(w.tensor);
  for (let i = 0; i < n; i++) if (zero(i)) zeros += 1;
  return zeros;
}

/** The weights of one graph level (Identity aliases included), with what each counts. */
function weightsOf(g: Graph): Weight[] {
  const { uses } = index(g);
  // Per-row scales of a quantized table ([V, 1], gathered beside the [V, D] codes) are metadata.
  const codeTableRows = new Set<number>();
  for (const [name, t] of g.initializers)
    if (
      CODES.has(t.dataType) &&
      (uses.get(name) ?? []).some((u) => u.node.opType === 'Gather' && u.index === 0)
    )
      codeTableRows.add(t.dims[0] ?? -1);
  const weights: Weight[] = [];
  const add = (name: string, t: Tensor, list: readonly Use[]) => {
    if (numel(t.dims) <= 1 || !(FLOATS.has(t.dataType) || CODES.has(t.dataType))) return;
    if (list.length > 0 && list.every((u) => at(METADATA_INPUTS, u))) return;
    if (CODES.has(t.dataType) && !list.some((u) => at(CODE_INPUTS, u))) return;
    const table = list.some((u) => u.node.opType === 'Gather' && u.index === 0);
    if (table && t.dims.length === 2 && t.dims[1] === 1 && codeTableRows.has(t.dims[0]!)) return;
    const nbits = list.find((u) => opKey(u.node) === 'com.microsoft::MatMulNBits' && u.index === 1);
    const view = signView(t, nbits ?? list[0], (n) => g.initializers.get(n));
    const dense = t.dims.length === 1 ? denseElements(g, uses, list) : undefined;
    const elements = nbits && view ? view.rows * view.cols : (dense ?? numel(t.dims));
    const sparse = dense !== undefined;
    weights.push({ name, tensor: t, elements, table: table && t.dims.length === 2, view, sparse });
  };
  for (const [name, t] of g.initializers) add(name, t, uses.get(name) ?? []);
  // ONNX sparse initializers: ONNX Runtime densifies them at load, so each counts its dense elements.
  for (const s of g.sparseInitializers)
    if (FLOATS.has(s.values.dataType) && numel(s.dims) > 1)
      weights.push({
        name: s.values.name,
        tensor: s.values,
        elements: numel(s.dims),
        table: false,
        view: undefined,
        sparse: true,
      });
  // PyTorch's exporter stores parameters that are equal at export (fresh LayerNorm scales) once and names
  // the others with Identity nodes: each is still a parameter of the model.
  for (const node of g.nodes) {
    const t = node.opType === 'Identity' ? g.initializers.get(node.inputs[0] ?? '') : undefined;
    const out = node.outputs[0] ?? '';
    if (t !== undefined && FLOATS.has(t.dataType)) add(out, t, uses.get(out) ?? []);
  }
  return weights;
}

/** A tensor's identity for counting a matrix shared across graphs once: its shape and a sample of values. */
function fingerprint(t: Tensor): string {
  const data = t.data as ArrayLike<number | bigint>;
  const step = Math.max(1, Math.floor(data.length / 16));
  const sample: string[] = [];
  for (let i = 0; i < data.length; i += step) sample.push(String(data[i]));
  return `${t.dataType}:${t.dims.join('x')}:${sample.join(',')}`;
}

/** The weights that repeat one of the tables (a tied head stored apart). */
function tiedCopiesOf(weights: readonly Weight[]): ParameterCount['copies'] {
  const tables = weights.filter((w) => w.table && w.view !== undefined);
  const copies: ParameterCount['copies'][number][] = [];
  for (const w of weights) {
    if (w.table || w.view === undefined) continue;
    for (const t of tables) {
      const how = sameWeight(t.view!, w.view);
      if (how === undefined) continue;
      copies.push({ copy: w.name, of: t.name, transposed: how === 'transposed', elements: w.elements });
      break;
    }
  }
  return copies;
}

/** The parameters of `graphs` (one model's files, encoder first), each weight counted once. */
export function countParameters(graphs: readonly Graph[]): ParameterCount {
  const earlier = new Set<string>();
  let total = 0;
  let embedding = 0;
  let zeros = 0;
  const copies: ParameterCount['copies'][number][] = [];
  for (const graph of graphs) {
    const here = new Set<string>();
    const weights: Weight[] = [];
    walkGraphs(graph, (g) => weights.push(...weightsOf(g)));
    const tied = tiedCopiesOf(weights);
    copies.push(...tied);
    const skip = new Set(tied.map((c) => c.copy));
    for (const w of weights) {
      if (skip.has(w.name)) continue;
      // Vectors are never matched across graphs: freshly initialised LayerNorm scales are all equal.
      if (w.tensor.dims.length >= 2) {
        const key = fingerprint(w.tensor);
        here.add(key);
        if (earlier.has(key)) continue;
      }
      total += w.elements;
      zeros += zerosOf(w);
      if (w.table) embedding += w.elements;
    }
    for (const key of here) earlier.add(key);
  }
  return { total, nonEmbedding: total - embedding, zeros, tiedCopies: copies.map((c) => c.copy), copies };
}
