/**
 * What each weight matrix of a graph is, for magnitude pruning's default scope (the paper's: the Transformer
 * blocks' projections, one global threshold; never embeddings or vocabulary heads) and its per-group report:
 *   - `attention` / `ffn`: a projection of a block that structured pruning recognises (the same matchers, so the
 *     two kinds of pruning agree on what a block is);
 *   - `embedding`: a table read by Gather, or an initializer that holds the same values (a tied LM head that the
 *     exporter constant-folded into its own, often transposed, copy);
 *   - `head`: a projection onto the vocabulary (output width = the token table's rows) that is not a copy;
 *   - `other`: any other MatMul / Gemm weight (blocks the matchers do not take apart, such as cached decoders'
 *     attention, and the MLM head's dense transform).
 */
import type { Graph } from '../../onnx/ir.js';
import { embeddingFacts } from '../../onnx/tied-weights.js';
import { walkGraphTree } from '../../onnx/traverse.js';
import { initializerKey } from './initializer-uses.js';
import { structuredPrune } from './structured/prune.js';

export type WeightGroup = 'attention' | 'ffn' | 'embedding' | 'head' | 'other';

export interface WeightGroups {
  /** Group of an initializer by `initializerKey(level path, name)`; absent ones are `other` (or not weights). */
  readonly of: (key: string) => WeightGroup;
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
  return { of: (key) => groups.get(key) ?? 'other' };
}
