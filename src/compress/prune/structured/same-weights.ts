/**
 * Blocks that hold the same weights make one choice. Two copies of a block compute the same function from the
 * same tensors (the two branches of a merged decoder's If; decoder_model and decoder_with_past_model), but a
 * copy may see fewer of them: with a cache, a cross-attention reads its keys and values from the past and has
 * no k/v projection, so its L2 importance is computed from q and the output alone. Blocks are matched by the
 * exact bytes of their last weight (output or down projection), since exporters name copies differently, and
 * all take the importance of the copy that sees the most weights.
 */
import { createHash } from 'node:crypto';
import type { Graph, Tensor } from '../../../onnx/ir.js';
import { tensorBytes } from '../../../onnx/tensor.js';

/** What a block report says that matters here (prune.ts's StructuredBlockReport). */
interface BlockSeen {
  readonly kind: 'attention' | 'ffn';
  readonly weights: readonly string[];
  readonly units: number;
  readonly importance: readonly number[];
}

export function fingerprint(t: Tensor): string {
  return createHash('sha256')
    .update(`${t.dataType}:${t.dims.join('x')}:`)
    .update(tensorBytes(t))
    .digest('hex');
}

/** Every initializer of the tree by name (the first one where names repeat across levels). */
export function treeInitializers(graph: Graph, into = new Map<string, Tensor>()): Map<string, Tensor> {
  for (const [name, t] of graph.initializers) if (!into.has(name)) into.set(name, t);
  for (const node of graph.nodes) {
    for (const a of Object.values(node.attributes)) {
      if (a.type === 'GRAPH') treeInitializers(a.value, into);
      else if (a.type === 'GRAPHS') for (const g of a.value) treeInitializers(g, into);
    }
  }
  return into;
}

/** The importance of the block that sees the most weights, per kind and last-weight bytes. */
export function importanceByContent(graph: Graph, blocks: readonly BlockSeen[]): Map<string, BlockSeen[]> {
  const tensors = treeInitializers(graph);
  const groups = new Map<string, BlockSeen[]>();
  for (const block of blocks) {
    const t = tensors.get(block.weights[block.weights.length - 1]!);
    if (t === undefined) continue;
    const key = `${block.kind}:${fingerprint(t)}`;
    groups.set(key, [...(groups.get(key) ?? []), block]);
  }
  for (const group of groups.values()) group.sort((a, b) => b.weights.length - a.weights.length);
  return groups;
}

/**
 * A lookup giving each block the importance of its richest copy in the same tree, or undefined when no two
 * blocks share weights with different importance (nothing to align).
 */
export function sharedImportance(
  graph: Graph,
  blocks: readonly BlockSeen[],
): ((kind: 'attention' | 'ffn', weight: Tensor, units: number) => number[] | undefined) | undefined {
  const groups = importanceByContent(graph, blocks);
  const differ = [...groups.values()].some(
    (g) => g.length > 1 && g.some((b) => b.importance.join() !== g[0]!.importance.join()),
  );
  if (!differ) return undefined;
  return (kind, weight, units) => {
    const best = groups.get(`${kind}:${fingerprint(weight)}`)?.[0];
    return best !== undefined && best.units === units ? [...best.importance] : undefined;
  };
}
