/**
 * Unstructured magnitude pruning (the paper's compression: Li et al. 2020 prune the smallest-magnitude
 * weights of all Transformer projections to one global sparsity). A pure pass: pruned tensors are new
 * tensors with the smallest |w| set to zero, everything else is shared with the input graph.
 *
 * Which tensors (weight-groups.ts names the groups): by default every 2-D MatMul/Gemm weight — the blocks'
 * attention and FFN projections (grouped as such where structured pruning's matchers recognise them, `other`
 * where they do not, as in cached decoders) — but never embedding tables, their tied copies (a PyTorch
 * export's constant-folded LM head) or other projections onto the vocabulary, whose larger magnitudes would
 * otherwise take the global threshold's share from the blocks, nor the projection that makes a graph output (a
 * classifier's head onto its labels, which a global threshold can empty). `include` patterns replace the default (any
 * 2-D float weight they name, embeddings with `includeEmbeddings`); `exclude` patterns always apply.
 * Initializers in If/Loop subgraphs are pruned with the rest, and so are outer-scope initializers that
 * subgraphs read. The global threshold counts each distinct weight once (by content), so copies of a weight
 * get one mask; `threshold` takes one chosen over several files (`modelThreshold`: a seq2seq's decoder files
 * hold the same matrices under different names, and must prune them alike).
 *
 * Zeros alone make nothing faster or smaller in ONNX Runtime (no CPU kernel exploits unstructured sparsity,
 * see docs/design.md); `encodeSparseWeights` makes the file shrink, `structuredPrune` makes kernels faster.
 */
import { TlcError } from '../../errors/index.js';
import { DataType, dataTypeName } from '../../onnx/dtype.js';
import type { Graph, Tensor } from '../../onnx/ir.js';
import { applied, declined, type PassChange, type PassResult } from '../../onnx/passes/pass.js';
import { tensorToFloat32 } from '../../onnx/tensor-values.js';
import { mapGraphTree, walkGraphTree } from '../../onnx/traverse.js';
import { type InitializerUse, initializerKey, initializerUses, qualified } from './initializer-uses.js';
import { type NameFilter, nameFilter } from './patterns.js';
import { fingerprint } from './structured/same-weights.js';
import {
  distinctThreshold,
  magnitudeMasks,
  type PruneScope,
  type SharedThreshold,
  thresholdMask,
} from './threshold.js';
import { type WeightGroup, weightGroups } from './weight-groups.js';

const PASS = 'magnitude-prune';

export interface MagnitudePruneOptions extends NameFilter {
  /** Fraction of the selected weights to set to zero, 0–1. */
  readonly sparsity: number;
  /** 'global' (default): one threshold over all selected tensors; 'per-tensor': each tensor to the target. */
  readonly scope?: PruneScope;
  /** Also prune embedding tables (initializers read by Gather as data). Default false. */
  readonly includeEmbeddings?: boolean;
  /**
   * A global threshold chosen over more than this graph (`modelThreshold`); replaces `sparsity`'s own choice
   * (scope 'global' only). Weights it does not know by content are not pruned.
   */
  readonly threshold?: SharedThreshold;
}

export type WeightRole = 'weight' | 'embedding';

export interface PrunedTensor {
  readonly name: string;
  /** The graph level holding the initializer ('main', or a subgraph path). */
  readonly graph: string;
  readonly role: WeightRole;
  readonly group: WeightGroup;
  readonly dims: readonly number[];
  readonly elements: number;
  /** Zero elements after pruning (those that were zero before included). */
  readonly zeros: number;
  readonly sparsity: number;
}

export interface MagnitudePruneReport {
  readonly scope: PruneScope;
  readonly target: number;
  readonly elements: number;
  readonly zeros: number;
  /** Sparsity over all selected tensors. */
  readonly sparsity: number;
  /** Sparsity per group of the pruned tensors (attention, ffn, …), for the report. */
  readonly groups: Readonly<
    Partial<Record<WeightGroup, { elements: number; zeros: number; sparsity: number }>>
  >;
  readonly tensors: readonly PrunedTensor[];
}

export interface MagnitudePruneResult extends PassResult {
  readonly report: MagnitudePruneReport;
}

const FLOAT_TYPES: ReadonlySet<number> = new Set([
  DataType.FLOAT,
  DataType.FLOAT16,
  DataType.BFLOAT16,
  DataType.DOUBLE,
]);

/** What role a constant plays for its readers: a projection weight, an embedding table, or neither. */
export function weightRole(uses: readonly InitializerUse[]): WeightRole | undefined {
  let role: WeightRole | undefined;
  for (const { node, inputIndex } of uses) {
    if (node.domain !== '') continue;
    if (node.opType === 'Gather' && inputIndex === 0) return 'embedding';
    if ((node.opType === 'MatMul' || node.opType === 'Gemm') && inputIndex === 1) role = 'weight';
  }
  return role;
}

interface Candidate {
  readonly path: string;
  readonly tensor: Tensor;
  readonly role: WeightRole;
  readonly group: WeightGroup;
}

const GROUP_REASONS: Readonly<Partial<Record<WeightGroup, string>>> = {
  embedding: 'embedding table or a tied copy of one; name it with --prune-include to prune it',
  head: 'projection onto the vocabulary (LM head) or onto a graph output (a classifier head); name it with --prune-include to prune it',
};

/** The tensors a magnitude pruning pass works on, and the declines for the ones it leaves alone. */
export function selectPrunableWeights(
  graph: Graph,
  options: NameFilter & { readonly includeEmbeddings?: boolean },
  pass: string,
  changes: PassChange[],
): Candidate[] {
  const { uses, asOutput } = initializerUses(graph);
  const filter = nameFilter(options);
  const groups = weightGroups(graph);
  const explicit = (options.include?.length ?? 0) > 0;
  // Without include patterns: every projection but embeddings, their tied copies and vocabulary heads.
  const inScope = (group: WeightGroup) => group !== 'embedding' && group !== 'head';
  const candidates: Candidate[] = [];
  walkGraphTree(graph, (level, path) => {
    for (const [name, tensor] of level.initializers) {
      const key = initializerKey(path, name);
      const role = weightRole(uses.get(key) ?? []);
      if (role === undefined) continue;
      const group = groups.of(key);
      const target = qualified(path, name);
      const refuse = (why: string) => changes.push(declined(pass, target, why));
      if (role === 'embedding' && !options.includeEmbeddings) {
        refuse('embedding table (read by Gather); pass --prune-embeddings (includeEmbeddings) to prune it');
        continue;
      }
      if (!FLOAT_TYPES.has(tensor.dataType)) {
        refuse(
          `element type ${dataTypeName(tensor.dataType)} is not floating point (prune before quantizing)`,
        );
        continue;
      }
      if (tensor.dims.length !== 2) {
        refuse(`rank ${tensor.dims.length}: only 2-D weight matrices are pruned`);
        continue;
      }
      if (asOutput.has(key)) {
        refuse('also a graph output; pruning it would change that output');
        continue;
      }
      if (!explicit && !inScope(group) && !(role === 'embedding' && options.includeEmbeddings)) {
        refuse(GROUP_REASONS[group] ?? 'outside the default scope');
        continue;
      }
      const filtered = filter(name);
      if (filtered !== undefined) {
        refuse(filtered);
        continue;
      }
      candidates.push({ path, tensor, role, group });
    }
  });
  return candidates;
}

/** A copy of the tensor's storage with the masked-out elements set to zero (+0 in every float format). */
function applyMask(tensor: Tensor, mask: Uint8Array): Tensor {
  const data = (tensor.data as Float32Array | Float64Array | Uint16Array).slice();
  for (let i = 0; i < mask.length; i++) if (mask[i] === 0) data[i] = 0;
  return { ...tensor, data };
}

function changedAny(before: Tensor['data'], after: Tensor['data']): boolean {
  const a = before as ArrayLike<number>;
  const b = after as ArrayLike<number>;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return true;
  return false;
}

function groupSparsity(tensors: readonly PrunedTensor[]): MagnitudePruneReport['groups'] {
  const out: Partial<Record<WeightGroup, { elements: number; zeros: number; sparsity: number }>> = {};
  for (const t of tensors) {
    const g = out[t.group] ?? { elements: 0, zeros: 0, sparsity: 0 };
    out[t.group] = g;
    g.elements += t.elements;
    g.zeros += t.zeros;
    g.sparsity = g.zeros / g.elements;
  }
  return out;
}

export function validateSparsity(sparsity: number, what = 'sparsity'): void {
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity <= 1)) {
    throw new TlcError('CONFIG_INVALID', `${what} must be a number in [0, 1], got ${String(sparsity)}`);
  }
}

/** The masks of the selected tensors: per tensor, or under one threshold that counts each distinct weight once. */
function globalMasks(
  candidates: readonly Candidate[],
  values: readonly Float32Array[],
  options: MagnitudePruneOptions,
  scope: PruneScope,
): Uint8Array[] {
  if (scope === 'per-tensor') return magnitudeMasks(values, options.sparsity, scope);
  const keys = candidates.map((c) => fingerprint(c.tensor));
  const threshold =
    options.threshold ??
    distinctThreshold(
      keys.map((key, t) => ({ key, values: values[t]! })),
      options.sparsity,
    );
  return values.map((v, t) => {
    const ties = threshold.ties.get(keys[t]!);
    return ties === undefined ? new Uint8Array(v.length).fill(1) : thresholdMask(v, threshold.value, ties);
  });
}

/**
 * One global threshold over the prunable weights of several graphs (a model's files), each distinct weight
 * counted once: pass it as `threshold` when pruning each graph, and identical weights get identical masks.
 */
export function modelThreshold(
  graphs: readonly Graph[],
  options: NameFilter & { readonly sparsity: number; readonly includeEmbeddings?: boolean },
): SharedThreshold {
  validateSparsity(options.sparsity);
  // Converted once per distinct weight: the decoder files' copies cost nothing more.
  const distinct = new Map<string, Float32Array>();
  for (const g of graphs) {
    for (const c of selectPrunableWeights(g, options, PASS, [])) {
      const key = fingerprint(c.tensor);
      if (!distinct.has(key)) distinct.set(key, tensorToFloat32(c.tensor));
    }
  }
  const tensors = [...distinct].map(([key, values]) => ({ key, values }));
  return distinctThreshold(tensors, options.sparsity);
}

export function magnitudePrune(graph: Graph, options: MagnitudePruneOptions): MagnitudePruneResult {
  validateSparsity(options.sparsity);
  const scope = options.scope ?? 'global';
  if (scope !== 'global' && scope !== 'per-tensor') {
    throw new TlcError('CONFIG_INVALID', `scope must be 'global' or 'per-tensor', got "${String(scope)}"`);
  }
  const changes: PassChange[] = [];
  const candidates = selectPrunableWeights(graph, options, PASS, changes);
  const values = candidates.map((c) => tensorToFloat32(c.tensor));
  const masks = globalMasks(candidates, values, options, scope);
  const replaced = new Map<string, Tensor>();
  const tensors: PrunedTensor[] = [];
  let totalZeros = 0;
  let totalElements = 0;
  candidates.forEach((c, t) => {
    const mask = masks[t]!;
    const v = values[t]!;
    let zeros = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] === 0 || v[i] === 0) zeros++;
    const elements = mask.length;
    totalZeros += zeros;
    totalElements += elements;
    const sparsity = elements === 0 ? 0 : zeros / elements;
    tensors.push({
      name: c.tensor.name,
      graph: c.path,
      role: c.role,
      group: c.group,
      dims: c.tensor.dims,
      elements,
      zeros,
      sparsity,
    });
    const pruned = applyMask(c.tensor, mask);
    if (!changedAny(c.tensor.data, pruned.data)) return;
    replaced.set(initializerKey(c.path, c.tensor.name), pruned);
    changes.push(
      applied(
        PASS,
        qualified(c.path, c.tensor.name),
        `sparsity ${sparsity.toFixed(4)} (${zeros} of ${elements} zero, ${c.role} ${JSON.stringify(c.tensor.dims)})`,
      ),
    );
  });
  const result =
    replaced.size === 0
      ? graph
      : mapGraphTree(graph, (level, path) => {
          let hit = false;
          const initializers = new Map<string, Tensor>();
          for (const [name, t] of level.initializers) {
            const r = replaced.get(initializerKey(path, name));
            hit ||= r !== undefined;
            initializers.set(name, r ?? t);
          }
          return hit ? { ...level, initializers } : level;
        });
  return {
    graph: result,
    changes,
    report: {
      scope,
      target: options.sparsity,
      elements: totalElements,
      zeros: totalZeros,
      sparsity: totalElements === 0 ? 0 : totalZeros / totalElements,
      groups: groupSparsity(tensors),
      tensors,
    },
  };
}
