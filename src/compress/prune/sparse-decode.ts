/**
 * The inverse of encodeSparseWeights, in JavaScript: finds each decoder subgraph (by its structure, not its
 * names), rebuilds the dense initializer and removes the decoder. Tools that need plain initializers (a
 * quantizer after pruning + encoding, `tlc inspect`'s parameter counts) run this first; ONNX Runtime itself
 * never needs it, since it folds the decoder at load.
 */
import { getString } from '../../onnx/attributes.js';
import { DataType, numel } from '../../onnx/dtype.js';
import { nodeReads } from '../../onnx/graph-index.js';
import type { Graph, Node, Tensor } from '../../onnx/ir.js';
import { applied, type PassChange, type PassResult } from '../../onnx/passes/pass.js';
import { makeTensor } from '../../onnx/tensor.js';
import { tensorToNumbers } from '../../onnx/tensor-values.js';
import { mapGraphTree } from '../../onnx/traverse.js';
import { decodeBitmask } from './bitmask.js';
import { qualified } from './initializer-uses.js';
import { Level } from './structured/level.js';

const PASS = 'decode-sparse-weights';

interface Decoder {
  readonly output: string;
  readonly nodes: readonly Node[];
  readonly tensor: Tensor;
}

/** Matches Reshape(Gather(values, Mul(CumSum(f), f)), dims), f = Cast(Slice?(Reshape(BitShift(BitShift(mask))))). */
function matchDecoder(level: Level, restore: Node): Decoder | undefined {
  const producer = (value: string | undefined, opType: string): Node | undefined => {
    const p = value === undefined ? undefined : level.producer(value)?.node;
    return p?.opType === opType && p.domain === '' ? p : undefined;
  };
  const gather = producer(restore.inputs[0], 'Gather');
  const dims = level.ints(restore.inputs[1] ?? '');
  const values = level.constant(gather?.inputs[0] ?? '');
  const mul = producer(gather?.inputs[1], 'Mul');
  const cumsum = producer(mul?.inputs[0], 'CumSum');
  const cast = producer(mul?.inputs[1], 'Cast');
  if (!gather || !dims || !values || !mul || !cumsum || !cast || cumsum.inputs[0] !== cast.outputs[0])
    return undefined;
  const slice = producer(cast.inputs[0], 'Slice');
  const flat = producer(slice ? slice.inputs[0] : cast.inputs[0], 'Reshape');
  const right = producer(flat?.inputs[0], 'BitShift');
  const left = producer(right?.inputs[0], 'BitShift');
  const mask = level.constant(left?.inputs[0] ?? '');
  const toTop = level.constant(left?.inputs[1] ?? '');
  const toBottom = level.constant(right?.inputs[1] ?? '');
  if (!flat || !right || !left || !mask || !toTop || !toBottom || mask.dataType !== DataType.UINT8)
    return undefined;
  if (getString(left, 'direction') !== 'LEFT' || getString(right, 'direction') !== 'RIGHT') return undefined;
  if (tensorToNumbers(toTop).join() !== '7,6,5,4,3,2,1,0' || tensorToNumbers(toBottom).join() !== '7')
    return undefined;
  const n = numel(dims);
  if (Math.ceil(n / 8) !== mask.data.length) return undefined;
  const output = restore.outputs[0]!;
  const shape = { name: output, dataType: values.dataType, dims, data: values.data };
  const data = decodeBitmask(shape, {
    values: values.data,
    mask: mask.data as Uint8Array,
    nnz: values.dims[0]! - 1,
  });
  const nodes = [left, right, flat, ...(slice ? [slice] : []), cast, cumsum, mul, gather, restore];
  return { output, nodes, tensor: makeTensor(output, values.dataType, dims, data) };
}

export function decodeSparseWeights(graph: Graph): PassResult {
  const changes: PassChange[] = [];
  const result = mapGraphTree(graph, (g, path) => {
    const level = new Level(g, path);
    const decoders: Decoder[] = [];
    for (const node of g.nodes) {
      if (node.opType !== 'Reshape' || node.domain !== '') continue;
      const d = matchDecoder(level, node);
      // every intermediate value must be private to the decoder
      if (d === undefined || level.index.isGraphOutput(d.output)) continue;
      const inside = new Set(d.nodes);
      const privateValues = d.nodes
        .slice(0, -1)
        .every((n) => level.consumers(n.outputs[0]!).every((c) => inside.has(c)));
      if (privateValues) decoders.push(d);
    }
    if (decoders.length === 0) return g;
    const removed = new Set(decoders.flatMap((d) => d.nodes));
    const nodes = g.nodes.filter((n) => !removed.has(n));
    const read = new Set(g.outputs.map((v) => v.name));
    for (const n of nodes) for (const name of nodeReads(n)) read.add(name);
    // The decoders' own constants go when nothing else reads them (the shared shifts too, after the last one).
    const decoderInputs = new Set(decoders.flatMap((d) => d.nodes.flatMap((n) => n.inputs)));
    const inputs = new Set(g.inputs.map((v) => v.name));
    const initializers = new Map<string, Tensor>();
    for (const [name, t] of g.initializers) {
      if (!decoderInputs.has(name) || read.has(name) || inputs.has(name)) initializers.set(name, t);
    }
    for (const d of decoders) {
      initializers.set(d.output, d.tensor);
      changes.push(
        applied(
          PASS,
          qualified(path, d.output),
          `restored ${JSON.stringify(d.tensor.dims)} from its bitmask`,
        ),
      );
    }
    return { ...g, nodes, initializers };
  });
  return { graph: result, changes };
}
