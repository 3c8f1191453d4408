/**
 * Attention with the heads folded into the batch, as transformers' BartAttention / MarianAttention (4.x) and
 * their exports compute it for torch.bmm:
 *
 *   q_proj(x) · scaling ─ Reshape [B,T,H,dh] ─ Transpose [0,2,1,3] ─ Reshape [B·H,−1,dh] ─┐
 *   k (see below) ─ Reshape [B·H,−1,dh] ─ Transpose [0,2,1] ──────────────────────────── MatMul (scores)
 *     ─ Reshape [B,H,T,S] ─ Add (mask) ─ Reshape [B·H,T,S] ─ Softmax ─ MatMul (v folded likewise)
 *     ─ Reshape [B,H,T,dv] ─ Transpose [0,2,1,3] ─ Reshape [B,T,H·dv] ─ MatMul (out_proj)
 *
 * k and v are each a projection split into heads (Reshape [B,S,H,d] ─ Transpose [0,2,1,3]), that split
 * concatenated after the past (Concat(past_key_values.*, ·) on the sequence axis: a decoder's self-attention
 * with a cache), or the past alone (a decoder's cross-attention with a cache); the 4-D value may also be a graph
 * output (present.*). B·H is Mul(B, H) in the exported shape arithmetic: its constant H is rewritten with the
 * heads, as are the [B,H,·,·] unfolds and the declared head axis of the past/present graph inputs and outputs.
 */
import { getInt } from '../../../onnx/attributes.js';
import type { Node } from '../../../onnx/ir.js';
import { matchMerge } from './attention.js';
import {
  type AttentionBlock,
  fail,
  type HeadPath,
  type HeadSite,
  headPath,
  headSplit,
  type Match,
  samePerm,
  scoresChain,
} from './attention-parts.js';
import { describe, isOp, type Level } from './level.js';
import { throughScale } from './scaled.js';
import { type ShapeSpec, shapeSpec } from './shape-spec.js';

/** A Reshape folding heads into the batch: its 4-D input and the Mul(B, H) factor site. */
interface Fold {
  readonly reshape: Node;
  readonly input: string;
  readonly site: Extract<HeadSite, { kind: 'factor' }>;
  readonly factor: number;
}

/** `value` = Reshape(x4, [B·H, ·, d]); undefined when it is no Reshape at all. */
function foldOf(level: Level, value: string): Fold | string | undefined {
  const r = level.producer(value)?.node;
  if (!isOp(r, 'Reshape')) return undefined;
  const spec = shapeSpec(level, r, 3);
  if (typeof spec === 'string') return spec;
  const piece = spec.pieces?.find((p) => p.at === 0);
  const entry =
    piece?.values === undefined && piece?.length === 1 ? spec.concat!.inputs[piece.input] : undefined;
  const unsqueeze = level.producer(entry ?? '')?.node;
  const mul = isOp(unsqueeze, 'Unsqueeze') ? level.producer(unsqueeze.inputs[0]!)?.node : undefined;
  if (!isOp(mul, 'Mul')) return `${describe(r)}: the folded batch is not Mul(batch, heads)`;
  const index = level.constant(mul.inputs[1] ?? '') !== undefined ? 1 : 0;
  const tensor = level.constant(mul.inputs[index] ?? '');
  const factor = tensor === undefined ? undefined : level.ints(mul.inputs[index]!);
  if (tensor === undefined || factor?.length !== 1)
    return `${describe(mul)} multiplies the batch by no constant head count`;
  return {
    reshape: r,
    input: r.inputs[0]!,
    site: { kind: 'factor', node: mul, index, tensor },
    factor: factor[0]!,
  };
}

/** A Reshape to [B, H, ·, ·] with a constant H: the unfold site. */
function unfoldOf(level: Level, reshape: Node): { spec: ShapeSpec; heads: number } | string {
  const spec = shapeSpec(level, reshape, 4);
  if (typeof spec === 'string') return spec;
  const heads = spec.values[1];
  if (heads === undefined || heads <= 0) return `${describe(reshape)} unfolds to no constant head count`;
  return { spec, heads };
}

/** What a folded k or v comes from: a projection path, the past (a graph input), or both concatenated. */
interface Source {
  readonly path?: HeadPath;
  readonly boundaries: string[];
  readonly nodes: Node[];
  readonly values: string[];
  /** Heads as a graph input declares them (for sources without a projection). */
  readonly declared?: number;
}

function declaredHeads(level: Level, name: string): number | undefined {
  const type = level.index.graphInputs.get(name)?.type;
  const h = type?.kind === 'tensor' ? type.shape?.[1] : undefined;
  return typeof h === 'number' ? h : undefined;
}

/** Shape(past) read only by Gathers of one axis other than the heads (the past length, for positions and masks). */
function readsLength(level: Level, node: Node): boolean {
  if (!isOp(node, 'Shape') || node.attributes.start !== undefined) return false;
  return level.consumers(node.outputs[0]!).every((g) => {
    const index = isOp(g, 'Gather') ? level.ints(g.inputs[1] ?? '') : undefined;
    return index?.length === 1 && index[0] !== 1 && index[0] !== -3;
  });
}

function projected(level: Level, role: 'k' | 'v', value: string, asOutput: boolean): HeadPath | string {
  const split = headSplit(level, value, [0, 2, 1, 3], asOutput);
  if (split === undefined) return `${role}: "${value}" is not a head split of a projection`;
  if (typeof split === 'string') return `${role}: ${split}`;
  return headPath(level, role, split);
}

function sourceOf(level: Level, role: 'k' | 'v', fold: Fold): Source | string {
  const x4 = fold.input;
  const readers = level.consumers(x4);
  if (level.isInput(x4)) {
    // The past may also be passed through as a present output (a merged decoder's cached branch) or measured.
    const through = readers.filter((c) => isOp(c, 'Identity') && level.index.isGraphOutput(c.outputs[0]!));
    const others = readers.filter(
      (c) => c !== fold.reshape && !through.includes(c) && !readsLength(level, c),
    );
    if (others.length > 0) return `${role}: ${level.describeConsumers(x4)}`;
    const declared = declaredHeads(level, x4);
    const boundaries = [x4, ...through.map((c) => c.outputs[0]!)];
    return { boundaries, nodes: [], values: [], ...(declared !== undefined && { declared }) };
  }
  if (readers.length !== 1) return `${role}: ${level.describeConsumers(x4)}`;
  const boundaries = level.index.isGraphOutput(x4) ? [x4] : [];
  const p = level.producer(x4)?.node;
  if (isOp(p, 'Concat')) {
    const [past, fresh] = p.inputs;
    const axis = getInt(p, 'axis', 0);
    if (p.inputs.length !== 2 || (axis !== 2 && axis !== -2))
      return `${role}: ${describe(p)} is not Concat(past, new) on the sequence axis`;
    if (!level.isInput(past!)) return `${role}: ${describe(p)} does not start with a graph input`;
    const others = level.consumers(past!).filter((c) => c !== p && !readsLength(level, c));
    if (others.length > 0) return `${role}: ${level.describeConsumers(past!)}`;
    const path = projected(level, role, fresh!, false);
    if (typeof path === 'string') return path;
    return { path, boundaries: [...boundaries, past!], nodes: [p], values: [fresh!, x4] };
  }
  const path = projected(level, role, x4, boundaries.length > 0);
  if (typeof path === 'string') return path;
  return { path, boundaries, nodes: [], values: [x4] };
}

/** The Mul(B, H) nodes must feed only the block's fold shapes, or rewriting H would change other shapes. */
function factorsOwned(
  level: Level,
  sites: readonly HeadSite[],
  shapes: ReadonlySet<Node>,
): string | undefined {
  for (const site of sites) {
    if (site.kind !== 'factor') continue;
    for (const u of level.consumers(site.node.outputs[0]!)) {
      const ok = isOp(u, 'Unsqueeze') && level.consumers(u.outputs[0]!).every((c) => shapes.has(c));
      if (!ok) return `${describe(site.node)} (batch × heads) is also read by ${describe(u)}`;
    }
  }
  return undefined;
}

interface Parts {
  readonly q: HeadPath;
  readonly k: Source;
  readonly v: Source;
  readonly folds: readonly Fold[];
  readonly heads: number;
  /** Scalings between the q fold and the scores MatMul. */
  readonly scales: readonly Node[];
}

/** q, k, v of the folded scores MatMul; undefined when its inputs are not folded heads. */
function matchInputs(level: Level, scores: Node): Parts | string | undefined {
  const qs = throughScale(level, scores.inputs[0]!);
  const qFold = foldOf(level, qs.value);
  const kt = level.producer(scores.inputs[1]!)?.node;
  if (qFold === undefined || !isOp(kt, 'Transpose') || !samePerm(kt, [0, 2, 1])) return undefined;
  const kFold = foldOf(level, kt.inputs[0]!);
  if (kFold === undefined) return undefined;
  if (typeof qFold === 'string') return `q: ${qFold}`;
  if (typeof kFold === 'string') return `k: ${kFold}`;
  if (level.soleConsumer(qFold.input) !== qFold.reshape) return `q: ${level.describeConsumers(qFold.input)}`;
  const qh = headSplit(level, qFold.input, [0, 2, 1, 3]);
  if (qh === undefined) return `q: "${qFold.input}" is not a head split`;
  if (typeof qh === 'string') return `q: ${qh}`;
  const path = headPath(level, 'q', qh);
  if (typeof path === 'string') return path;
  // a scaling after the fold belongs to the block too (its value has the folded heads)
  const q = { ...path, values: [...path.values, ...qs.values] };
  const source = sourceOf(level, 'k', kFold);
  if (typeof source === 'string') return source;
  const k = { ...source, nodes: [...source.nodes, kt], values: [...source.values, kt.outputs[0]!] };
  const v = { boundaries: [], nodes: [], values: [] };
  return { q, k, v, folds: [qFold, kFold], heads: q.heads, scales: qs.nodes };
}

function headCountsAgree(parts: Parts, sites: readonly { heads: number }[]): string | undefined {
  const counts = [
    ...parts.folds.map((f) => f.factor),
    ...sites.map((s) => s.heads),
    ...[parts.k, parts.v].map((s) => s.path?.heads ?? s.declared ?? parts.heads),
  ];
  const other = counts.find((c) => c !== parts.heads);
  return other === undefined ? undefined : `head counts differ: q has ${parts.heads}, elsewhere ${other}`;
}

export function matchFoldedAttention(level: Level, scores: Node): Match<AttentionBlock> | undefined {
  if (!isOp(scores, 'MatMul')) return undefined;
  const inputs = matchInputs(level, scores);
  if (inputs === undefined) return undefined;
  if (typeof inputs === 'string') return fail(inputs);
  const chain = scoresChain(level, scores, inputs.heads, true);
  if (typeof chain === 'string') return fail(chain);
  const vFold = foldOf(level, chain.context.inputs[1]!);
  if (vFold === undefined) return fail(`${describe(chain.context)}: its values are not folded heads`);
  if (typeof vFold === 'string') return fail(`v: ${vFold}`);
  const v = sourceOf(level, 'v', vFold);
  if (typeof v === 'string') return fail(v);
  const parts: Parts = { ...inputs, v, folds: [...inputs.folds, vFold] };
  const folds = [...parts.folds];
  const unfolds: { spec: ShapeSpec; heads: number }[] = [];
  for (const r of chain.reshapes) {
    const fold = foldOf(level, r.outputs[0]!);
    const shaped = typeof fold === 'object' ? fold : unfoldOf(level, r);
    if (typeof shaped === 'string') return fail(shaped);
    if ('factor' in shaped) folds.push(shaped);
    else unfolds.push(shaped);
  }
  const unfold = level.soleConsumer(chain.context.outputs[0]!);
  if (!isOp(unfold, 'Reshape')) return fail(`context: ${level.describeConsumers(chain.context.outputs[0]!)}`);
  const contextUnfold = unfoldOf(level, unfold);
  if (typeof contextUnfold === 'string') return fail(contextUnfold);
  unfolds.push(contextUnfold);
  const valueDim = v.path?.headDim ?? parts.q.headDim;
  const merge = matchMerge(level, unfold, parts.heads * valueDim);
  if (typeof merge === 'string') return fail(merge);
  const disagree = headCountsAgree({ ...parts, folds }, unfolds);
  if (disagree !== undefined) return fail(disagree);
  const sites: HeadSite[] = [
    ...new Map(folds.map((f) => [f.site.node, f.site])).values(),
    ...unfolds.map((u) => ({ kind: 'entry' as const, spec: u.spec, at: 1 })),
  ];
  const shapes = new Set(
    folds.map((f) => level.producer(f.reshape.inputs[1]!)?.node).filter((n): n is Node => n !== undefined),
  );
  const owned = factorsOwned(level, sites, shapes);
  if (owned !== undefined) return fail(owned);
  return { ok: true, block: assemble(parts, { scores, chain, folds, unfold, merge, sites, valueDim }) };
}

function assemble(
  parts: Parts,
  m: {
    scores: Node;
    chain: Exclude<ReturnType<typeof scoresChain>, string>;
    folds: readonly Fold[];
    unfold: Node;
    merge: Exclude<ReturnType<typeof matchMerge>, string>;
    sites: HeadSite[];
    valueDim: number;
  },
): AttentionBlock {
  const paths = [parts.q, parts.k.path, parts.v.path].filter((p): p is HeadPath => p !== undefined);
  const projections = paths.map((p) => p.projection.matmul);
  const nodes = [
    ...projections,
    ...paths.flatMap((p) => [
      p.reshape,
      ...(p.projection.bias ? [p.projection.bias.node] : []),
      ...(p.projection.split ? [p.projection.split.node] : []),
    ]),
    ...parts.k.nodes,
    ...parts.v.nodes,
    ...parts.scales,
    ...m.folds.map((f) => f.reshape),
    m.scores,
    ...m.chain.nodes,
    m.chain.context,
    m.unfold,
    m.merge.t,
    m.merge.r,
    m.merge.outMm,
  ];
  const values = [
    ...paths.flatMap((p) => [...p.values, p.reshape.outputs[0]!]),
    ...projections.map((n) => n.outputs[0]!),
    ...parts.k.values,
    ...parts.v.values,
    ...m.folds.flatMap((f) => [f.input, f.reshape.outputs[0]!]),
    ...m.chain.values,
    m.chain.context.outputs[0]!,
    m.unfold.outputs[0]!,
    m.merge.t.outputs[0]!,
    m.merge.r.outputs[0]!,
  ];
  return {
    scores: m.scores,
    headConstants: m.chain.headConstants,
    context: m.chain.context,
    paths,
    valueDim: m.valueDim,
    sites: m.sites,
    boundaries: [...new Set([...parts.k.boundaries, ...parts.v.boundaries])],
    merge: m.merge.mergeShape,
    out: { matmul: m.merge.outMm, weight: m.merge.outW },
    heads: parts.heads,
    nodes: [...new Set(nodes)],
    values: [...new Set(values)],
  };
}
