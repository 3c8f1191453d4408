/**
 * What each weight matrix of a graph is, for magnitude pruning's default scope (the paper's: the Transformer
 * blocks' projections, one global threshold; never embeddings or vocabulary heads) and its per-group report:
 *   - `attention` / `ffn`: a projection of a block that structured pruning recognises (the same matchers, so the
 *     two kinds of pruning agree on what a block is);
 *   - `embedding`: a table read by Gather, or an initializer that holds the same values (a tied LM head that the
 *     exporter constant-folded into its own, often transposed, copy);
 *   - `head`: a projection onto the vocabulary (output width = the token table's rows) that is not a copy, or the
 *     projection that makes a graph output (a classifier's out_proj onto its labels: pruning a matrix of D × labels
 *     weights by a global threshold can leave a class with no input, and the model answers one label for all);
 *   - `other`: any other MatMul / Gemm weight (blocks the matchers do not take apart, such as cached decoders'
 *     attention, and the MLM head's dense transform).
 */
import type { Graph } from '../../onnx/ir.js';
import { embeddingFacts } from '../../onnx/tied-weights.js';
import { MAIN_PATH, walkGraphTree } from '../../onnx/traverse.js';
import { initializerKey } from './initializer-uses.js';
import { structuredPrune } from './structured/prune.js';

export type WeightGroup = 'attention' | 'ffn' | 'embedding' | 'head' | 'other';

export interface WeightGroups {
  /** Group of an initializer by `initializerKey(level path, name)`; absent ones are `other` (or not weights). */
  readonly of: (key: string) => WeightGroup;
}

/** Ops a graph output may pass through after its last projection (a bias, renaming, reshaping). */
const PASS_THROUGH = new Set(['Add', 'Identity', 'Reshape', 'Cast', 'Squeeze', 'Unsqueeze', 'Flatten']);

/**
 * The weights of the MatMul / Gemm nodes whose result is a graph output, directly or through PASS_THROUGH ops
 * (following each op's first input that is not an initializer).
 */
function outputProjections(graph: Graph): string[] {
  const producer = new Map(graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const weights: string[] = [];
  for (const output of graph.outputs) {
    let node = producer.get(output.name);
    for (let hops = 0; node !== undefined && hops < 8; hops++) {
      if (node.opType === 'MatMul' || node.opType === 'Gemm') {
        const weight = node.inputs.slice(0, 2).find((i) => graph.initializers.has(i));
        if (weight !== undefined) weights.push(weight);
        break;
      }
      if (!PASS_THROUGH.has(node.opType)) break;
      const next = node.inputs.find((i) => i !== '' && !graph.initializers.has(i));
      node = next === undefined ? undefined : producer.get(next);
    }
  }
  return weights;
}

export function weightGroups(graph: Graph): WeightGroups {
  const groups = new Map<string, WeightGroup>();
  for (const block of structuredPrune(graph, {}).report.blocks)
    for (const w of block.weights) groups.set(initializerKey(block.graph, w), block.kind);
  const { tables, copies } = embeddingFacts(graph);
  const embedded = new Set([...tables, ...copies.map((c) => c.copy)]);
  let vocab = 0;
  walkGraphTree(graph, (level) => {
    for (const name of tables) {
      const t = level.initializers.get(name);
      if (t !== undefined) vocab = Math.max(vocab, t.dims[0]!);
    }
  });
  walkGraphTree(graph, (level, path) => {
    for (const [name, t] of level.initializers) {
      const key = initializerKey(path, name);
      if (embedded.has(name)) groups.set(key, 'embedding');
      else if (!groups.has(key) && vocab > 0 && t.dims.length === 2 && t.dims.includes(vocab))
        groups.set(key, 'head');
    }
  });
  for (const name of outputProjections(graph)) {
    const key = initializerKey(MAIN_PATH, name);
    // Even where a matcher took it for a block's projection (dense → tanh → out_proj reads as an FFN).
    if (groups.get(key) !== 'embedding') groups.set(key, 'head');
  }
  return { of: (key) => groups.get(key) ?? 'other' };
}
