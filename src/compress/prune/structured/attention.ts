/**
 * Recognising multi-head attention by its structure, anchored on the scores MatMul:
 *
 *   q ─ [Mul/Div by a scalar] ─ Reshape [·,·,H,dh] ─ Transpose [0,2,1,3] ─┐
 *   k ─ Reshape [·,·,H,dh] ─ Transpose [0,2,3,1] ───────────────────────── MatMul (scores)
 *       ─ Add/Sub/Mul/Div/Where (masks, scales) ─ Softmax ─ MatMul (context) ─ v ─ Reshape ─ Transpose [0,2,1,3]
 *       ─ Transpose [0,2,1,3] ─ Reshape [·,·,H·dv] ─ MatMul (output projection W_o [H·dv, D])
 *
 * where q, k and v each come from a projection MatMul(x, W) (+ bias), directly or as one output of a Split on
 * the last axis: TLC's self-attention ([D,3D] + Split [D,D,D]), its cross-attention (q [D,D]; kv [D,2D] +
 * Split [D,D]) and separate Q/K/V projections all fit. Every intermediate value must have exactly one reader,
 * so removing heads cannot change anything outside the block — or, beside it, Shapes whose readers take only the
 * batch and sequence dims (PyTorch exports of transformers' `x.size()[:-1] + (heads, head_dim)`).
 */
import type { Node } from '../../../onnx/ir.js';
import {
  type AttentionBlock,
  fail,
  type HeadPath,
  headPath,
  headSplit,
  type Match,
  samePerm,
  scoresChain,
  soleWeight,
} from './attention-parts.js';
import { describe, isOp, type Level } from './level.js';
import { throughScale } from './scaled.js';
import { readsLeadingDims } from './shape-readers.js';
import { canSet, dependsOn, shapeSpec } from './shape-spec.js';

/** context [B,H,T,dv] → Transpose [0,2,1,3] → Reshape [·,·,H·dv] → MatMul W_o, or why not. */
export function matchMerge(level: Level, context: Node, merged: number) {
  const ctxOut = context.outputs[0]!;
  const t = level.soleConsumer(ctxOut);
  if (!isOp(t, 'Transpose') || !samePerm(t, [0, 2, 1, 3]))
    return `context: ${level.describeConsumers(ctxOut)}, expected Transpose [0,2,1,3]`;
  // Besides the Reshape, only Shapes of the batch and sequence dims (transformers' `size()[:-2] + (all_head_size,)`).
  const readers = level.index.isGraphOutput(t.outputs[0]!) ? [] : level.consumers(t.outputs[0]!);
  const r = readers.find((n) => isOp(n, 'Reshape') && n.inputs[0] === t.outputs[0]);
  if (r === undefined || !readers.every((n) => n === r || readsLeadingDims(level, n)))
    return `context: ${level.describeConsumers(t.outputs[0]!)}, expected Reshape`;
  const mergeShape = shapeSpec(level, r, 3);
  if (typeof mergeShape === 'string') return mergeShape;
  const last = mergeShape.values[2];
  if (last !== undefined && last !== -1 && last !== merged)
    return `${describe(r)} merges to ${last}, expected ${merged}`;
  if (!canSet(mergeShape, 2))
    return `${describe(r)}: the merged width is computed inside a longer shape piece`;
  const outMm = level.soleConsumer(r.outputs[0]!);
  if (!isOp(outMm, 'MatMul') || outMm.inputs[0] !== r.outputs[0])
    return `merged heads: ${level.describeConsumers(r.outputs[0]!)}, expected the output projection MatMul`;
  const outW = soleWeight(level, outMm);
  if (typeof outW === 'string') return outW;
  if (outW.dims[0] !== merged)
    return `${describe(outMm)}: weight has ${outW.dims[0]} rows, expected ${merged}`;
  return { ctxOut, t, r, mergeShape, outMm, outW };
}

/** Every node and value of the block (each read only inside it), for the pruning edit to invalidate. */
function blockMembers(
  paths: readonly HeadPath[],
  projections: ReadonlySet<Node>,
  transposes: readonly [Node, Node, Node],
  scores: Node,
  chain: { readonly nodes: readonly Node[]; readonly values: readonly string[] },
  tail: readonly [Node, Node, Node, Node],
): { nodes: Node[]; values: string[] } {
  const [context, t, r, outMm] = tail;
  const nodes: Node[] = [
    ...projections,
    ...paths.flatMap((p) => {
      const list = [p.reshape];
      if (p.projection.bias) list.push(p.projection.bias.node);
      if (p.projection.split) list.push(p.projection.split.node);
      return list;
    }),
    ...transposes,
    scores,
    ...chain.nodes,
    context,
    t,
    r,
    outMm,
  ];
  const values = [
    ...paths.flatMap((p) => [...p.values, p.reshape.outputs[0]!]),
    ...transposes.map((x) => x.outputs[0]!),
    ...chain.values,
    context.outputs[0]!,
    t.outputs[0]!,
    r.outputs[0]!,
    ...[...projections].map((m) => m.outputs[0]!),
  ];
  return { nodes, values };
}

/** Why a q/k/v projection cannot be narrowed: a width mismatch, or a shared Split with outputs outside the block. */
function splitsOwned(paths: readonly HeadPath[]): string | undefined {
  for (const p of paths) {
    const s = p.projection.split;
    if (s === undefined) {
      if (p.projection.width !== p.projection.weight.dims[1]) return `${p.role}: projection width mismatch`;
      continue;
    }
    const used = paths
      .filter((o) => o.projection.split?.node === s.node)
      .map((o) => o.projection.split!.output);
    if (used.length !== s.node.outputs.length || new Set(used).size !== used.length) {
      return `${describe(s.node)}: not every output is a q/k/v input of this attention`;
    }
  }
  return undefined;
}

export function matchAttention(level: Level, scores: Node): Match<AttentionBlock> | undefined {
  if (!isOp(scores, 'MatMul')) return undefined;
  const qs = throughScale(level, scores.inputs[0]!);
  const ks = throughScale(level, scores.inputs[1]!);
  const qh = headSplit(level, qs.value, [0, 2, 1, 3]);
  const kt = headSplit(level, ks.value, [0, 2, 3, 1]);
  if (qh === undefined || kt === undefined) return undefined;
  if (typeof qh === 'string') return fail(`q: ${qh}`);
  if (typeof kt === 'string') return fail(`k: ${kt}`);
  // The head count as the q reshape states it (for recognising per-head masks on the scores path).
  const declaredHeads = qh.shape.values[2] ?? -1;
  const chain = scoresChain(level, scores, declaredHeads);
  if (typeof chain === 'string') return fail(chain);
  const context = chain.context;
  const vh = headSplit(level, context.inputs[1]!, [0, 2, 1, 3]);
  if (vh === undefined) return fail(`${describe(context)}: its values are not a head split`);
  if (typeof vh === 'string') return fail(`v: ${vh}`);
  const paths: HeadPath[] = [];
  for (const [role, split] of [
    ['q', qh],
    ['k', kt],
    ['v', vh],
  ] as const) {
    const path = headPath(level, role, split);
    if (typeof path === 'string') return fail(path);
    paths.push(path);
  }
  const [q, k, v] = paths as [HeadPath, HeadPath, HeadPath];
  if (q.heads !== k.heads || q.heads !== v.heads)
    return fail(`head counts differ: q ${q.heads}, k ${k.heads}, v ${v.heads}`);
  if (q.headDim !== k.headDim) return fail(`q and k head sizes differ (${q.headDim}, ${k.headDim})`);
  const owned = splitsOwned(paths);
  if (owned !== undefined) return fail(owned);
  const merge = matchMerge(level, context, v.heads * v.headDim);
  if (typeof merge === 'string') return fail(merge);
  const { t, r, mergeShape, outMm, outW } = merge;
  const projections = new Set(paths.map((p) => p.projection.matmul));
  // A computed head size must not be derived from the values whose widths change (e.g. Shape(q) / H).
  const widened = new Set([
    ...paths.flatMap((p) => [...p.values, p.reshape.outputs[0]!]),
    ...[...projections].map((m) => m.outputs[0]!),
  ]);
  for (const p of paths) {
    const spec = p.shape;
    if (spec.concat === undefined || spec.values[3] !== undefined) continue;
    const piece = spec.pieces!.find((x) => 3 >= x.at && 3 < x.at + x.length)!;
    if (dependsOn(level, spec.concat.inputs[piece.input]!, widened)) {
      return fail(`${p.role}: ${describe(spec.concat)} computes the head size from the projection's width`);
    }
  }
  const { nodes, values } = blockMembers(
    paths,
    projections,
    [qh.transpose, kt.transpose, vh.transpose],
    scores,
    chain,
    [context, t, r, outMm],
  );
  nodes.push(...qs.nodes, ...ks.nodes);
  values.push(...qs.values, ...ks.values);
  return {
    ok: true,
    block: {
      scores,
      headConstants: chain.headConstants,
      context,
      paths: [q, k, v],
      valueDim: v.headDim,
      sites: [],
      boundaries: [],
      merge: mergeShape,
      out: { matmul: outMm, weight: outW },
      heads: q.heads,
      nodes: [...new Set(nodes)],
      values: [...new Set(values)],
    },
  };
}
