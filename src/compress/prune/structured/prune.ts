/**
 * Structured pruning: removes whole attention heads and feed-forward neurons, physically shrinking the
 * matrices so that ONNX Runtime's dense kernels do less work (unstructured zeros never speed them up).
 * Blocks are recognised by their structure (attention.ts, ffn.ts), not by names, in the main graph and in
 * If/Loop subgraphs. In each block the lowest-importance units go, importance being the L2 norm of the unit's
 * weights (a head: its Q, K, V columns and output-projection rows; a neuron: its W_up column and W_down row),
 * unless `scores` gives it. At least one unit always stays.
 */
import { TlcError } from '../../../errors/index.js';
import { attr } from '../../../onnx/attributes.js';
import { allDefinedNames } from '../../../onnx/graph-index.js';
import type { Graph, Node, Tensor } from '../../../onnx/ir.js';
import { NameAllocator } from '../../../onnx/names.js';
import { applied, declined, type PassChange, type PassResult } from '../../../onnx/passes/pass.js';
import { allNodes, mapGraphTree } from '../../../onnx/traverse.js';
import { qualified } from '../initializer-uses.js';
import { matchAttention } from './attention.js';
import type { AttentionBlock } from './attention-parts.js';
import { type FfnBlock, matchFfn } from './ffn.js';
import { matchFoldedAttention } from './folded.js';
import { describe, isOp, Level, LevelEdit } from './level.js';
import { declareOuterDims, inlineOuterWeights, restoreOuterWeights } from './merged.js';
import { sharedImportance } from './same-weights.js';
import { int64s, scalarLike, setShapeEntry } from './shape-spec.js';
import { columnSquares, keepHighest, rowSquares, selectAxis, selectLast, selectRows } from './slicing.js';

const PASS = 'structured-prune';

export interface StructuredPruneOptions {
  /** Fraction of the heads to remove in each attention block, 0–1 (default 0). */
  readonly heads?: number;
  /** Fraction of the neurons to remove in each feed-forward block, 0–1 (default 0). */
  readonly ffn?: number;
  /**
   * Importance overrides (higher stays), keyed by the name of any weight of the block (e.g.
   * `layers.0.attn.out.weight` or `layers.0.attn.qkv.weight`; `layers.0.ffn.up.weight`): one score per head
   * or neuron.
   */
  readonly scores?: {
    readonly heads?: Readonly<Record<string, readonly number[]>>;
    readonly ffn?: Readonly<Record<string, readonly number[]>>;
  };
}

export interface StructuredBlockReport {
  readonly kind: 'attention' | 'ffn';
  /** The graph level ('main' or a subgraph path). */
  readonly graph: string;
  /** The block's weights (projection first, output/down projection last). */
  readonly weights: readonly string[];
  /** Heads or neurons before. */
  readonly units: number;
  readonly kept: number;
  readonly removed: readonly number[];
  /** Per-unit importance used for the choice (L2 norms unless overridden). */
  readonly importance: readonly number[];
}

export interface StructuredPruneReport {
  readonly blocks: readonly StructuredBlockReport[];
}

export interface StructuredPruneResult extends PassResult {
  readonly report: StructuredPruneReport;
}

function fraction(value: number | undefined, what: string): number {
  const v = value ?? 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
    throw new TlcError('CONFIG_INVALID', `${what} must be a fraction in [0, 1], got ${String(value)}`);
  }
  return v;
}

function override(
  table: Readonly<Record<string, readonly number[]>> | undefined,
  weights: readonly string[],
  units: number,
): number[] | undefined {
  if (table === undefined) return undefined;
  for (const w of weights) {
    const s = table[w];
    if (s === undefined) continue;
    if (s.length !== units || s.some((x) => typeof x !== 'number' || Number.isNaN(x))) {
      throw new TlcError('CONFIG_INVALID', `scores for "${w}" must be ${units} numbers, got ${s.length}`);
    }
    return [...s];
  }
  return undefined;
}

function attentionWeights(block: AttentionBlock): string[] {
  const projections = [...new Set(block.paths.map((p) => p.projection.weight.name))];
  return [...projections, block.out.weight.name];
}

function headImportance(block: AttentionBlock): number[] {
  const h = block.heads;
  const sums = new Float64Array(h);
  for (const p of block.paths) {
    const cols = columnSquares(p.projection.weight, p.projection.offset, p.projection.width);
    for (let i = 0; i < cols.length; i++) sums[Math.floor(i / p.headDim)]! += cols[i]!;
  }
  const dv = block.valueDim;
  const rows = rowSquares(block.out.weight);
  for (let i = 0; i < rows.length; i++) sums[Math.floor(i / dv)]! += rows[i]!;
  return Array.from(sums, Math.sqrt);
}

function rewriteAttention(edit: LevelEdit, block: AttentionBlock, kept: readonly number[]): void {
  const k = kept.length;
  // Projections: the kept heads' columns of every slice, slices in column order.
  for (const matmul of new Set(block.paths.map((p) => p.projection.matmul))) {
    const slices = block.paths.filter((p) => p.projection.matmul === matmul);
    slices.sort((a, b) => a.projection.offset - b.projection.offset);
    const cols: number[] = [];
    for (const s of slices) {
      for (const h of kept)
        for (let j = 0; j < s.headDim; j++) cols.push(s.projection.offset + h * s.headDim + j);
    }
    const first = slices[0]!.projection;
    edit.setConstant(matmul, 1, selectLast(first.weight, cols));
    if (first.bias !== undefined)
      edit.setConstant(first.bias.node, first.bias.index, selectLast(first.bias.tensor, cols));
    const split = first.split;
    if (split !== undefined) {
      const sizes = split.sizes.map((size, output) => {
        const s = slices.find((p) => p.projection.split?.output === output);
        return s === undefined ? size : k * s.headDim;
      });
      if (split.node.inputs[1] !== undefined && split.node.inputs[1] !== '')
        edit.setConstant(split.node, 1, int64s(sizes));
      else edit.setAttribute(split.node, 'split', attr.ints(sizes));
    }
  }
  for (const p of block.paths) if (p.shape.values[2] !== -1) setShapeEntry(edit, p.shape, 2, k);
  for (const site of block.sites) {
    if (site.kind === 'entry') setShapeEntry(edit, site.spec, site.at, k);
    else edit.setConstant(site.node, site.index, scalarLike(site.tensor, k));
  }
  for (const name of block.boundaries) edit.setDeclaredDim(name, 1, k);
  const dv = block.valueDim;
  if (block.merge.values[2] !== -1) setShapeEntry(edit, block.merge, 2, k * dv);
  const rows: number[] = [];
  for (const h of kept) for (let j = 0; j < dv; j++) rows.push(h * dv + j);
  edit.setConstant(block.out.matmul, 1, selectRows(block.out.weight, rows));
  // Per-head biases (ALiBi slopes) keep the kept heads' entries.
  for (const c of block.headConstants) edit.setConstant(c.node, c.index, selectAxis(c.tensor, c.axis, kept));
  edit.invalidate(block.values);
}

function neuronImportance(block: FfnBlock): number[] {
  const cols = columnSquares(block.up.weight, 0, block.width);
  const rows = rowSquares(block.down.weight);
  return Array.from(cols, (c, j) => Math.sqrt(c + rows[j]!));
}

function rewriteFfn(edit: LevelEdit, block: FfnBlock, kept: readonly number[]): void {
  edit.setConstant(block.up.matmul, 1, selectLast(block.up.weight, kept));
  for (const p of block.perNeuron) edit.setConstant(p.node, p.index, selectLast(p.tensor, kept));
  edit.setConstant(block.down.matmul, 1, selectRows(block.down.weight, kept));
  edit.invalidate(block.values);
}

/** What the whole pass shares: the options, the fractions, the changes and the unit chooser. */
interface PruneRun {
  readonly options: StructuredPruneOptions;
  readonly headFraction: number;
  readonly ffnFraction: number;
  readonly changes: PassChange[];
  readonly shared?: SharedLookup;
  choose(
    kind: 'attention' | 'ffn',
    path: string,
    weights: string[],
    importance: number[],
    share: number,
  ): number[] | undefined;
}

/** One graph level being pruned: its nodes, the edit being built, the nodes already claimed by a block. */
interface LevelRun {
  readonly level: Level;
  readonly edit: LevelEdit;
  readonly claimed: Set<Node>;
  readonly matmuls: readonly Node[];
  readonly path: string;
}

/** Removes the least important heads of each attention block of the level; returns the blocks seen. */
function pruneAttention(run: PruneRun, { level, edit, claimed, matmuls, path }: LevelRun): number {
  let seen = 0;
  for (const node of matmuls) {
    const m = matchAttention(level, node) ?? matchFoldedAttention(level, node);
    if (m === undefined) continue;
    if (!m.ok) {
      if (run.headFraction > 0)
        run.changes.push(declined(PASS, qualified(path, node.name), `attention: ${m.reason}`));
      continue;
    }
    const block = m.block;
    if (block.nodes.some((n) => claimed.has(n))) {
      run.changes.push(
        declined(PASS, qualified(path, node.name), 'attention: overlaps another attention block'),
      );
      continue;
    }
    for (const n of block.nodes) claimed.add(n);
    seen++;
    const weights = attentionWeights(block);
    const importance =
      override(run.options.scores?.heads, weights, block.heads) ??
      run.shared?.('attention', block.out.weight, block.heads) ??
      headImportance(block);
    const kept = run.choose('attention', path, weights, importance, run.headFraction);
    if (kept === undefined) continue;
    rewriteAttention(edit, block, kept);
    run.changes.push(
      applied(
        PASS,
        qualified(path, block.out.weight.name),
        `heads ${block.heads} → ${kept.length} (kept [${kept}]) in ${weights.join(', ')}`,
      ),
    );
  }
  return seen;
}

/** Removes the least important neurons of each feed-forward block of the level; returns the blocks seen. */
function pruneFfn(run: PruneRun, { level, edit, claimed, matmuls, path }: LevelRun): number {
  let seen = 0;
  for (const node of matmuls) {
    if (claimed.has(node) || level.constant(node.inputs[1] ?? '') === undefined) continue;
    const m = matchFfn(level, node);
    if (!m.ok) {
      // Only MatMuls followed by an activation are worth a word; the rest are other projections.
      if (run.ffnFraction > 0 && m.plausible) {
        run.changes.push(declined(PASS, qualified(path, node.name), `feed-forward: ${m.reason}`));
      }
      continue;
    }
    const block = m.block;
    if (block.nodes.some((n) => claimed.has(n))) {
      if (run.ffnFraction > 0) {
        const other = block.nodes.find((n) => claimed.has(n))!;
        run.changes.push(
          declined(PASS, qualified(path, node.name), `FFN overlaps another block at ${describe(other)}`),
        );
      }
      continue;
    }
    for (const n of block.nodes) claimed.add(n);
    seen++;
    const weights = [block.up.weight.name, block.down.weight.name];
    const importance =
      override(run.options.scores?.ffn, weights, block.width) ??
      run.shared?.('ffn', block.down.weight, block.width) ??
      neuronImportance(block);
    const kept = run.choose('ffn', path, weights, importance, run.ffnFraction);
    if (kept === undefined) continue;
    rewriteFfn(edit, block, kept);
    run.changes.push(
      applied(
        PASS,
        qualified(path, block.up.weight.name),
        `neurons ${block.width} → ${kept.length} in ${weights.join(', ')}`,
      ),
    );
  }
  return seen;
}

/** Importance shared between blocks of one graph tree (see `sharedImportance`), by kind and last weight. */
type SharedLookup = (kind: 'attention' | 'ffn', weight: Tensor, units: number) => number[] | undefined;

interface PassRun {
  readonly graph: Graph;
  readonly changes: PassChange[];
  readonly blocks: StructuredBlockReport[];
  readonly attentionSeen: number;
  readonly ffnSeen: number;
  /** Declared-shape changes asked for at every level (names of outer levels included). */
  readonly dims: Map<string, ReadonlyMap<number, number>>;
}

/** One pruning pass over every level of the tree. */
function runPass(
  graph: Graph,
  options: StructuredPruneOptions,
  names: NameAllocator,
  shared?: SharedLookup,
): PassRun {
  const headFraction = fraction(options.heads, 'heads');
  const ffnFraction = fraction(options.ffn, 'ffn');
  const changes: PassChange[] = [];
  const blocks: StructuredBlockReport[] = [];
  const dims = new Map<string, ReadonlyMap<number, number>>();
  let attentionSeen = 0;
  let ffnSeen = 0;
  const choose = (
    kind: 'attention' | 'ffn',
    path: string,
    weights: string[],
    importance: number[],
    share: number,
  ): number[] | undefined => {
    const units = importance.length;
    const remove = Math.min(units - 1, Math.round(share * units));
    const { kept, removed } = keepHighest(importance, remove);
    blocks.push({ kind, graph: path, weights, units, kept: kept.length, removed, importance });
    if (share > 0 && remove === 0) {
      const what = `removing ${share} of ${units} ${kind === 'ffn' ? 'neurons' : 'heads'} rounds to none`;
      changes.push(declined(PASS, qualified(path, weights[weights.length - 1]!), what));
    }
    return remove === 0 ? undefined : kept;
  };
  const run: PruneRun = { options, headFraction, ffnFraction, changes, choose, ...(shared && { shared }) };
  const result = mapGraphTree(graph, (g, path) => {
    const level = new Level(g, path);
    const edit = new LevelEdit(level, names);
    const claimed = new Set<Node>();
    const matmuls = g.nodes.filter((n) => isOp(n, 'MatMul'));
    const at: LevelRun = { level, edit, claimed, matmuls, path };
    attentionSeen += pruneAttention(run, at);
    ffnSeen += pruneFfn(run, at);
    for (const [name, change] of edit.declaredDims) dims.set(name, change);
    return edit.empty ? g : edit.apply();
  });
  return { graph: result, changes, blocks, attentionSeen, ffnSeen, dims };
}

export function structuredPrune(graph: Graph, options: StructuredPruneOptions): StructuredPruneResult {
  const headFraction = fraction(options.heads, 'heads');
  const ffnFraction = fraction(options.ffn, 'ffn');
  const taken = allDefinedNames(graph);
  for (const n of allNodes(graph)) taken.add(n.name);
  const names = new NameAllocator(taken);
  // Branches of an If see their outer weights as private copies while they are pruned (merged.ts).
  const { graph: inlined, inlined: copies } = inlineOuterWeights(graph, names);
  let pass = runPass(inlined, options, names);
  // Blocks holding the same weights (the two branches of a merged decoder) make one choice together; without
  // outer weights copied into subgraphs no two blocks share weights, so their bytes are not hashed.
  const shared = copies.size > 0 ? sharedImportance(inlined, pass.blocks) : undefined;
  if (shared !== undefined) pass = runPass(inlined, options, names, shared);
  const { changes, attentionSeen, ffnSeen } = pass;
  let result = pass.graph;
  if (result !== inlined) {
    result = declareOuterDims(copies.size > 0 ? restoreOuterWeights(result, copies) : result, pass.dims);
  } else result = graph;
  if (headFraction > 0 && attentionSeen === 0 && !changes.some((c) => c.detail.startsWith('attention:'))) {
    changes.push(
      declined(
        PASS,
        graph.name,
        'no attention block recognised (see src/compress/prune/README.md for the pattern)',
      ),
    );
  }
  if (ffnFraction > 0 && ffnSeen === 0 && !changes.some((c) => c.detail.startsWith('feed-forward:'))) {
    changes.push(declined(PASS, graph.name, 'no feed-forward block recognised'));
  }
  return { graph: result, changes, report: { blocks: pass.blocks } };
}
