/**
 * Compact storage for pruned weights: each sparse constant W becomes its non-zero values plus a bitmask, and a
 * small constant subgraph that rebuilds W. Every input of that subgraph is an initializer, so ONNX Runtime's
 * constant folding (graph optimisation level basic and above, the default) runs it once while loading and
 * replaces it with the dense W: inference runs the same kernels as the dense model, with W a constant again
 * (so kernels that pre-pack constant weights, like com.microsoft DynamicQuantizeMatMul, still do).
 *
 * Why not ONNX's sparse_initializer: ORT densifies it at load too, but it stores int64 COO indices, 8 bytes
 * per non-zero, more than the float32 value itself; the bitmask costs 1 bit per element. At sparsity s a
 * float32 W shrinks to (1−s)·32 + 1 bits per element: 53% of its size at s = 0.5, 13% at s = 0.9.
 *
 * The decoder (opset ≥ 11: BitShift and CumSum; no BitwiseAnd, which needs opset 18, and no lookup table, so
 * a graph pays no fixed cost):
 *   bits    = BitShift(BitShift(mask [m, 1], ←[7..0]), →7)              [m, 8] uint8: bit k of each byte
 *   flat    = Cast(Slice(Reshape(bits, [-1]), 0, n), int32)              1 where W[i] is not the fill
 *   index   = CumSum(flat) · flat                                         position in values (0 → the fill)
 *   W       = Reshape(Gather(values, index), dims)
 * The output keeps W's name, so every reader (in this graph or its subgraphs) is untouched.
 */
import { TlcError } from '../../errors/index.js';
import { attr } from '../../onnx/attributes.js';
import { GraphBuilder } from '../../onnx/builder.js';
import { DataType, dataTypeName, numel } from '../../onnx/dtype.js';
import { allDefinedNames } from '../../onnx/graph-index.js';
import type { Graph, Tensor } from '../../onnx/ir.js';
import { applied, declined, type PassChange, type PassResult } from '../../onnx/passes/pass.js';
import { makeTensor } from '../../onnx/tensor.js';
import { allNodes, mapGraphTree, walkGraphTree } from '../../onnx/traverse.js';
import { countNonFill, encodableWidth, encodeBitmask, fillBits } from './bitmask.js';
import { initializerKey, initializerUses, qualified } from './initializer-uses.js';
import { type NameFilter, nameFilter } from './patterns.js';

const PASS = 'encode-sparse-weights';

/**
 * Bytes of graph structure a decoder adds (nodes, their names, which repeat the tensor's name, small constants):
 * measured on saved files, 1.0 KB for a tensor named "W", 1.6 KB for "layers.0.attn.qkv.weight".
 */
export function decoderOverheadBytes(name: string): number {
  return 800 + 30 * name.length;
}

export interface EncodeSparseOptions extends NameFilter {
  /** The model's default-domain opset (`model.opsetImports.get('')`); the decoder needs 11 or later. */
  readonly opset: number;
  /** Encode only when it saves at least this fraction of the tensor's bytes (default 0.1). */
  readonly minSavings?: number;
  /** Leave tensors with fewer elements alone, without a report (default 1024). */
  readonly minElements?: number;
}

export interface EncodedTensor {
  readonly name: string;
  readonly graph: string;
  readonly dataType: string;
  readonly dims: readonly number[];
  /** Elements different from the fill value. */
  readonly nonZeros: number;
  /** The value pruned elements hold (bit pattern; 0 for floats, the zero point for 8-bit integers). */
  readonly fill: number;
  readonly denseBytes: number;
  /** Values + bitmask + decoder overhead. */
  readonly encodedBytes: number;
}

export interface EncodeSparseReport {
  readonly tensors: readonly EncodedTensor[];
  readonly denseBytes: number;
  readonly encodedBytes: number;
}

export interface EncodeSparseResult extends PassResult {
  readonly report: EncodeSparseReport;
}

/** A prefix that no name in the model equals or starts with (`prefix/…` names are then all free). */
function prefixAllocator(graph: Graph): (base: string) => string {
  const names = allDefinedNames(graph);
  for (const n of allNodes(graph)) names.add(n.name);
  const taken = [...names];
  const claimed = new Set<string>();
  return (base) => {
    for (let k = 0; ; k++) {
      const p = k === 0 ? base : `${base}_${k}`;
      if (claimed.has(p) || names.has(p) || taken.some((n) => n.startsWith(`${p}/`))) continue;
      claimed.add(p);
      return p;
    }
  };
}

interface Plan {
  readonly tensor: Tensor;
  readonly fill: number;
  readonly report: EncodedTensor;
}

/** What decides whether a tensor is encoded. */
interface PlanRules {
  readonly inputs: ReadonlySet<string>;
  readonly asOutput: ReadonlySet<string>;
  readonly filter: (name: string) => string | undefined;
  readonly minElements: number;
  readonly minSavings: number;
}

/** The encoding of one initializer; undefined for one too small to consider, or the reason it is declined. */
function planTensor(name: string, tensor: Tensor, path: string, o: PlanRules): Plan | string | undefined {
  const n = numel(tensor.dims);
  if (n < o.minElements) return undefined;
  const width = encodableWidth(tensor);
  if (width === undefined) {
    return `element type ${dataTypeName(tensor.dataType)} is not stored in whole bytes`;
  }
  if (o.filter(name) !== undefined) return o.filter(name)!;
  if (o.inputs.has(name)) {
    return 'also a graph input (an overridable default), not a constant';
  }
  if (o.asOutput.has(initializerKey(path, name))) {
    return 'also a graph output';
  }
  if (n >= 2 ** 31) {
    return 'over 2^31 elements: the decoder indexes with int32';
  }
  const fill = fillBits(tensor);
  const nonZeros = countNonFill(tensor, fill);
  const denseBytes = n * width;
  const encodedBytes = (nonZeros + 1) * width + Math.ceil(n / 8) + decoderOverheadBytes(name);
  const saving = 1 - encodedBytes / denseBytes;
  if (saving < o.minSavings) {
    return (
      `sparsity ${(1 - nonZeros / n).toFixed(3)}: encoding would save ${(100 * saving).toFixed(1)}% ` +
      `(needs ${(100 * o.minSavings).toFixed(1)}%)`
    );
  }
  return {
    tensor,
    fill,
    report: {
      name,
      graph: path,
      dataType: dataTypeName(tensor.dataType),
      dims: tensor.dims,
      nonZeros,
      fill,
      denseBytes,
      encodedBytes,
    },
  };
}

/** The shared constants of a level's decoders. */
interface DecoderConstants {
  readonly flatShape: string;
  readonly axis: string;
  readonly toTop: string;
  readonly toBottom: string;
}

/** The constants every decoder of a level shares, under the name prefix `shared`. */
function decoderConstants(b: GraphBuilder, shared: string): DecoderConstants {
  const int64s = (name: string, values: readonly number[], dims = [values.length]) =>
    b.initializer(makeTensor(`${shared}/${name}`, DataType.INT64, dims, BigInt64Array.from(values, BigInt)));
  return {
    flatShape: int64s('flat', [-1]),
    axis: int64s('axis', [0], []),
    toTop: b.initializer(
      makeTensor(`${shared}/to_top`, DataType.UINT8, [8], Uint8Array.of(7, 6, 5, 4, 3, 2, 1, 0)),
    ),
    toBottom: b.initializer(makeTensor(`${shared}/to_bottom`, DataType.UINT8, [], Uint8Array.of(7))),
  };
}

/** Appends, under scope `p`, the subgraph that rebuilds `tensor` from its non-fill values and bitmask. */
function addDecoder(
  b: GraphBuilder,
  p: string,
  tensor: Tensor,
  nonZeros: number,
  { values, mask }: { values: Tensor['data']; mask: Uint8Array },
  { flatShape, axis, toTop, toBottom }: DecoderConstants,
): void {
  const n = numel(tensor.dims);
  b.scope(p, () => {
    const v = b.initializer(makeTensor(`${p}/values`, tensor.dataType, [nonZeros + 1], values));
    // [m, 1], so that the shifts broadcast to [m, 8] without a Reshape
    const m = b.initializer(makeTensor(`${p}/mask`, DataType.UINT8, [mask.length, 1], mask));
    // bit k of byte j lands at [j, k]: shift it to the top (uint8 drops the bits above), then to the bottom
    const top = b.op('BitShift', [m, toTop], { direction: attr.string('LEFT') });
    const bits = b.op('BitShift', [top, toBottom], { direction: attr.string('RIGHT') });
    let flat = b.op('Reshape', [bits, flatShape]);
    if (n % 8 !== 0) {
      const bound = (value: number, name: string) =>
        b.initializer(makeTensor(`${p}/${name}`, DataType.INT64, [1], BigInt64Array.of(BigInt(value))));
      flat = b.op('Slice', [flat, bound(0, 'start'), bound(n, 'end')]);
    }
    flat = b.op('Cast', [flat], { to: attr.int(DataType.INT32) });
    const index = b.op('Mul', [b.op('CumSum', [flat, axis]), flat]);
    const dense = b.op('Gather', [v, index], { axis: attr.int(0) });
    const dims = b.initializer(
      makeTensor(`${p}/dims`, DataType.INT64, [tensor.dims.length], BigInt64Array.from(tensor.dims, BigInt)),
    );
    b.op('Reshape', [dense, dims], {}, { name: 'restore', outputs: [tensor.name] });
  });
}

export function encodeSparseWeights(graph: Graph, options: EncodeSparseOptions): EncodeSparseResult {
  const minSavings = options.minSavings ?? 0.1;
  const minElements = options.minElements ?? 1024;
  if (!(minSavings >= 0 && minSavings < 1)) {
    throw new TlcError('CONFIG_INVALID', `minSavings must be in [0, 1), got ${minSavings}`);
  }
  if (!Number.isInteger(options.opset) || options.opset < 1) {
    throw new TlcError(
      'CONFIG_INVALID',
      `opset must be the model's default-domain opset, got ${options.opset}`,
    );
  }
  const changes: PassChange[] = [];
  const empty: EncodeSparseResult = {
    graph,
    changes,
    report: { tensors: [], denseBytes: 0, encodedBytes: 0 },
  };
  if (options.opset < 11) {
    changes.push(declined(PASS, graph.name, `opset ${options.opset}: the decoder needs CumSum (opset 11)`));
    return empty;
  }
  const filter = nameFilter(options);
  const { asOutput } = initializerUses(graph);
  const plans = new Map<string, Plan[]>(); // level path → tensors to encode
  walkGraphTree(graph, (level, path) => {
    const inputs = new Set(level.inputs.map((v) => v.name));
    const list: Plan[] = [];
    for (const [name, tensor] of level.initializers) {
      const planned = planTensor(name, tensor, path, { inputs, asOutput, filter, minElements, minSavings });
      if (typeof planned === 'string') changes.push(declined(PASS, qualified(path, name), planned));
      else if (planned !== undefined) list.push(planned);
    }
    if (list.length > 0) plans.set(path, list);
  });
  if (plans.size === 0) return empty;

  const prefix = prefixAllocator(graph);
  const opsets = new Map([['', options.opset]]);
  const tensors: EncodedTensor[] = [];
  const result = mapGraphTree(graph, (level, path) => {
    const list = plans.get(path);
    if (list === undefined) return level;
    const encoded = new Set(list.map((p) => p.tensor.name));
    const base: Graph = {
      ...level,
      initializers: new Map([...level.initializers].filter(([name]) => !encoded.has(name))),
    };
    const b = GraphBuilder.extend(base, opsets);
    const shared = prefix('sparse_decode');
    const constants = decoderConstants(b, shared);
    for (const { tensor, fill, report } of list) {
      const p = prefix(`${tensor.name}.sparse`);
      const n = numel(tensor.dims);
      addDecoder(b, p, tensor, report.nonZeros, encodeBitmask(tensor, fill), constants);
      tensors.push(report);
      changes.push(
        applied(
          PASS,
          qualified(path, tensor.name),
          `${report.dataType}${JSON.stringify(tensor.dims)}: ${report.nonZeros} of ${n} non-zero, ` +
            `${report.denseBytes} → ${report.encodedBytes} bytes`,
        ),
      );
    }
    const built = b.build();
    // The decoders read only initializers: put them first so the node list stays topologically sorted.
    const added = built.nodes.slice(base.nodes.length);
    return { ...built, nodes: [...added, ...base.nodes] };
  });
  const denseBytes = tensors.reduce((s, t) => s + t.denseBytes, 0);
  const encodedBytes = tensors.reduce((s, t) => s + t.encodedBytes, 0);
  return { graph: result, changes, report: { tensors, denseBytes, encodedBytes } };
}
