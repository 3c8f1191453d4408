/** The pieces of an attention block and the matchers for each (attention.ts puts them together). */
import { getInt, getInts, hasAttr } from '../../../onnx/attributes.js';
import { DataType } from '../../../onnx/dtype.js';
import type { Node, Tensor } from '../../../onnx/ir.js';
import { describe, isOp, type Level } from './level.js';
import { readsLeadingDims } from './shape-readers.js';
import { canSet, type ShapeSpec, shapeSpec } from './shape-spec.js';

export interface Projection {
  readonly matmul: Node;
  readonly weight: Tensor;
  /** The Add with a constant [N] bias, when there is one. */
  readonly bias?: { readonly node: Node; readonly index: number; readonly tensor: Tensor };
  readonly split?: { readonly node: Node; readonly output: number; readonly sizes: readonly number[] };
  /** This slice's first column in W, and its width. */
  readonly offset: number;
  readonly width: number;
}

export interface HeadPath {
  readonly role: 'q' | 'k' | 'v';
  readonly reshape: Node;
  readonly shape: ShapeSpec;
  readonly heads: number;
  readonly headDim: number;
  readonly projection: Projection;
  /** Values between the projection and the scores/context MatMul (their shapes change). */
  readonly values: readonly string[];
}

/** A constant with a head axis that biases the scores per head (ALiBi slopes: Mul(distances, slopes[H,1,1])). */
export interface HeadConstant {
  readonly node: Node;
  readonly index: number;
  readonly tensor: Tensor;
  /** The head axis, counted from the end (−3 for [H, T, S]-shaped biases). */
  readonly axis: number;
}

/**
 * Another place that states the head count, rewritten with the heads: an entry of a Reshape's target shape
 * ([B, H, T, S] unfolds of heads folded into the batch), or the constant H of Mul(B, H) that computes the folded
 * batch B·H of a `[B·H, T, d]` reshape (transformers' bmm attention).
 */
export type HeadSite =
  | { readonly kind: 'entry'; readonly spec: ShapeSpec; readonly at: number }
  | { readonly kind: 'factor'; readonly node: Node; readonly index: number; readonly tensor: Tensor };

export interface AttentionBlock {
  readonly scores: Node;
  /** Per-head constants on the scores path, sliced with the heads. */
  readonly headConstants: readonly HeadConstant[];
  readonly context: Node;
  /** The q, k and v paths that come from a projection (k and v may come from the past, a graph input). */
  readonly paths: readonly HeadPath[];
  /** The head size of the values (rows per head of the output projection). */
  readonly valueDim: number;
  /** Head counts stated outside the q/k/v split reshapes (empty for 4-D attention). */
  readonly sites: readonly HeadSite[];
  /** Graph inputs and outputs with the heads at axis 1 (past_key_values.*, present.*): declared anew. */
  readonly boundaries: readonly string[];
  readonly merge: ShapeSpec;
  readonly out: { readonly matmul: Node; readonly weight: Tensor };
  readonly heads: number;
  /** Every node of the block (projections included). */
  readonly nodes: readonly Node[];
  readonly values: readonly string[];
}

export type Match<T> =
  | { readonly ok: true; readonly block: T }
  | { readonly ok: false; readonly reason: string };

export const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

const FLOATS: ReadonlySet<number> = new Set([
  DataType.FLOAT,
  DataType.FLOAT16,
  DataType.BFLOAT16,
  DataType.DOUBLE,
]);

export function perm(node: Node): number[] {
  return hasAttr(node, 'perm') ? getInts(node, 'perm') : [];
}

export function samePerm(node: Node, want: readonly number[]): boolean {
  const p = perm(node);
  return p.length === want.length && p.every((v, i) => v === want[i]);
}

/** A constant 2-D float weight read as B by `matmul` and by nothing else. */
export function soleWeight(level: Level, matmul: Node): Tensor | string {
  const name = matmul.inputs[1] ?? '';
  const w = level.constant(name);
  if (w === undefined) return `${describe(matmul)}: its weight "${name}" is not a constant of this graph`;
  if (w.dims.length !== 2) return `${describe(matmul)}: weight "${name}" has rank ${w.dims.length}, not 2`;
  if (!FLOATS.has(w.dataType)) return `${describe(matmul)}: weight "${name}" is not floating point`;
  if (!level.index.graph.initializers.has(name))
    return `${describe(matmul)}: weight "${name}" is a Constant node, not an initializer`;
  if (level.consumers(name).length !== 1)
    return `${describe(matmul)}: weight "${name}" is shared (${level.describeConsumers(name)})`;
  return w;
}

/** Reshape [·,·,H,dh] → Transpose(perm) producing `value`; undefined when the structure is not there at all. */
export function headSplit(
  level: Level,
  value: string,
  want: readonly number[],
  /** The transposed heads may also be a graph output (a decoder's present keys/values). */
  allowOutput = false,
): { transpose: Node; reshape: Node; shape: ShapeSpec } | string | undefined {
  const t = level.producer(value)?.node;
  if (!isOp(t, 'Transpose')) return undefined;
  const r = level.producer(t.inputs[0]!)?.node;
  if (!isOp(r, 'Reshape')) return undefined;
  if (!samePerm(t, want)) return `${describe(t)} has perm [${perm(t)}], expected [${want}]`;
  const shape = shapeSpec(level, r, 4);
  if (typeof shape === 'string') return shape;
  if (level.soleConsumer(r.outputs[0]!) !== t)
    return `${describe(r)}: ${level.describeConsumers(r.outputs[0]!)}`;
  const readers = allowOutput
    ? level.consumers(t.outputs[0]!).length
    : level.soleConsumer(t.outputs[0]!)
      ? 1
      : 0;
  if (readers !== 1) return `${describe(t)}: ${level.describeConsumers(t.outputs[0]!)}`;
  return { transpose: t, reshape: r, shape };
}

/** Follows a head input back through scalar scaling to its projection slice. */
export function projectionOf(level: Level, value: string, values: string[]): Projection | string {
  let v = value;
  let p = level.producer(v);
  // q may be scaled by 1/√dh before the split into heads
  while (p !== undefined && (isOp(p.node, 'Mul') || isOp(p.node, 'Div'))) {
    const node = p.node;
    // Mul(x, c) or Mul(c, x); Div(x, c)
    const index = isOp(node, 'Mul') && level.constant(node.inputs[0] ?? '') !== undefined ? 0 : 1;
    const other = level.constant(node.inputs[index] ?? '');
    if (other === undefined || other.dims.reduce((a, b) => a * b, 1) !== 1) {
      return `${describe(node)} scales by a non-scalar before the head split`;
    }
    const through = node.inputs[1 - index]!;
    if (level.soleConsumer(through) !== node) return `${describe(node)}: ${level.describeConsumers(through)}`;
    v = through;
    values.push(v);
    p = level.producer(v);
  }
  let split: Projection['split'];
  if (p !== undefined && isOp(p.node, 'Split')) {
    const node = p.node;
    const axis = getInt(node, 'axis', 0);
    if (axis !== -1 && axis !== 2) return `${describe(node)} splits axis ${axis}, not the last`;
    let sizes: number[] | undefined;
    if (node.inputs[1] !== undefined && node.inputs[1] !== '') sizes = level.ints(node.inputs[1]);
    else if (hasAttr(node, 'split')) sizes = getInts(node, 'split');
    if (sizes === undefined) return `${describe(node)} has no constant split sizes`;
    if (sizes.length !== node.outputs.length)
      return `${describe(node)}: ${sizes.length} sizes for ${node.outputs.length} outputs`;
    split = { node, output: p.output, sizes };
    v = node.inputs[0]!;
    if (level.soleConsumer(v) !== node) return `${describe(node)}: ${level.describeConsumers(v)}`;
    values.push(v);
    p = level.producer(v);
  }
  let bias: Projection['bias'];
  if (p !== undefined && isOp(p.node, 'Add')) {
    const node = p.node;
    const index = level.constant(node.inputs[1] ?? '') !== undefined ? 1 : 0;
    const tensor = level.constant(node.inputs[index] ?? '');
    const through = node.inputs[1 - index]!;
    if (tensor === undefined || tensor.dims.length !== 1)
      return `${describe(node)} adds no constant [N] bias`;
    if (level.soleConsumer(through) !== node) return `${describe(node)}: ${level.describeConsumers(through)}`;
    bias = { node, index, tensor };
    v = through;
    values.push(v);
    p = level.producer(v);
  }
  if (p === undefined || !isOp(p.node, 'MatMul')) {
    return `"${v}" does not come from a projection MatMul (${p === undefined ? 'no producer' : describe(p.node)})`;
  }
  const matmul = p.node;
  const weight = soleWeight(level, matmul);
  if (typeof weight === 'string') return weight;
  const n = weight.dims[1]!;
  if (bias !== undefined && bias.tensor.dims[0] !== n) return `${describe(bias.node)}: bias length ≠ ${n}`;
  if (split === undefined) return { matmul, weight, ...(bias && { bias }), offset: 0, width: n };
  const total = split.sizes.reduce((a, b) => a + b, 0);
  if (total !== n) return `${describe(split.node)}: sizes sum to ${total}, the weight has ${n} columns`;
  const offset = split.sizes.slice(0, split.output).reduce((a, b) => a + b, 0);
  return { matmul, weight, ...(bias && { bias }), split, offset, width: split.sizes[split.output]! };
}

export function headPath(
  level: Level,
  role: HeadPath['role'],
  split: { reshape: Node; shape: ShapeSpec },
): HeadPath | string {
  const values: string[] = [split.reshape.inputs[0]!];
  const others = level.consumers(split.reshape.inputs[0]!).filter((n) => n !== split.reshape);
  if (
    level.index.isGraphOutput(split.reshape.inputs[0]!) ||
    !level.consumers(split.reshape.inputs[0]!).includes(split.reshape) ||
    !others.every((n) => readsLeadingDims(level, n))
  ) {
    return `${role}: ${describe(split.reshape)}: ${level.describeConsumers(split.reshape.inputs[0]!)}`;
  }
  const projection = projectionOf(level, split.reshape.inputs[0]!, values);
  if (typeof projection === 'string') return `${role}: ${projection}`;
  const [, , h, d] = split.shape.values;
  const width = projection.width;
  const shown = `[${split.shape.values.map((v) => v ?? '?')}]`;
  if (h === 0 || d === 0) return `${role}: ${describe(split.reshape)} copies a head dimension (${shown})`;
  const heads = h !== undefined && h > 0 ? h : d !== undefined && d > 0 ? width / d : Number.NaN;
  if (Number.isNaN(heads))
    return `${role}: ${describe(split.reshape)}: the head count ${shown} is not a constant`;
  const headDim = width / heads;
  if (!Number.isInteger(heads) || !Number.isInteger(headDim) || (d !== undefined && d > 0 && d !== headDim)) {
    return `${role}: ${describe(split.reshape)} shape ${shown} does not split ${width} columns into heads`;
  }
  if (h === undefined && !canSet(split.shape, 2)) {
    return `${role}: ${describe(split.reshape)}: the head count is computed inside a longer shape piece`;
  }
  return { role, reshape: split.reshape, shape: split.shape, heads, headDim, projection, values };
}

/** A plain check (isOp narrows, which turns the else branches of a known Node into never). */
const opIs = (node: Node, opType: string): boolean => node.opType === opType && node.domain === '';

const CHAIN_BINARY = new Set(['Add', 'Sub', 'Mul', 'Div']);

/**
 * The first value `value` is computed from (itself included) for which `found` says yes, walking producers in
 * this level. A Shape reads dimensions, not per-head values, so the walk does not go through one: a decoder's
 * causal mask reads the past length from Shape(past_key_values.*), whose declared shape has the heads at axis 1.
 */
function sourceWhere<T>(level: Level, value: string, found: (v: string) => T | undefined): T | undefined {
  const seen = new Set<string>();
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === '' || seen.has(v)) continue;
    seen.add(v);
    const hit = found(v);
    if (hit !== undefined) return hit;
    const p = level.producer(v);
    if (p !== undefined && !opIs(p.node, 'Shape')) stack.push(...p.node.inputs);
  }
  return undefined;
}

/** A graph input of rank 4 with `heads` at axis 1 (a per-head mask or bias) that `value` is computed from. */
export function headShapedInput(level: Level, value: string, heads: number): string | undefined {
  return sourceWhere(level, value, (v) => {
    const type = level.index.graphInputs.get(v)?.type;
    return type?.kind === 'tensor' && type.shape?.length === 4 && type.shape[1] === heads ? v : undefined;
  });
}

/** A constant of rank ≥ 2 with an axis of `heads` (and more entries) that `value` is computed from. */
function headAxisConstant(level: Level, value: string, heads: number): Tensor | undefined {
  return sourceWhere(level, value, (v) => {
    const c = level.constant(v);
    const n = c?.dims.reduce((a, b) => a * b, 1) ?? 0;
    return c !== undefined && c.dims.length >= 2 && n > heads && c.dims.includes(heads) ? c : undefined;
  });
}

/**
 * `value` = Mul(x, c) (either order) with c a constant [H, 1, 1] (or [1, H, 1, 1]) read by that Mul alone, and
 * the product read by `reader` alone: a per-head bias such as ALiBi's −m_h·|i − j|. undefined when `value`
 * is not such a product; a reason when it is one but cannot be sliced safely.
 */
export function headBias(
  level: Level,
  value: string,
  reader: Node,
  heads: number,
): HeadConstant | string | undefined {
  const p = level.producer(value)?.node;
  if (p === undefined || !opIs(p, 'Mul')) return undefined;
  const index = level.constant(p.inputs[1] ?? '') !== undefined ? 1 : 0;
  const tensor = level.constant(p.inputs[index] ?? '');
  if (tensor === undefined || tensor.dims.length < 3) return undefined;
  const dims = tensor.dims;
  const h = dims[dims.length - 3]!;
  if (h === 1) return undefined;
  if (h !== heads || dims.some((d, i) => i !== dims.length - 3 && d !== 1))
    return `${describe(p)} multiplies by constant "${tensor.name}" [${dims}], not one value per head of ${heads}`;
  if (level.soleConsumer(value) !== reader) return `${describe(p)}: ${level.describeConsumers(value)}`;
  if (level.soleConsumer(tensor.name) !== p)
    return `${describe(p)}: its per-head constant "${tensor.name}" is shared (${level.describeConsumers(tensor.name)})`;
  return { node: p, index, tensor, axis: -3 };
}

/**
 * The one reader of a scores-path value besides Shape nodes: DistilBERT expands its mask to the scores'
 * shape (`mask.expand_as(scores)`, Shape(scores) in the export), which follows the heads by itself.
 */
function pathReader(level: Level, v: string): Node | undefined {
  if (level.index.isGraphOutput(v)) return undefined;
  const readers = level.consumers(v).filter((c) => !opIs(c, 'Shape'));
  return readers.length === 1 ? readers[0] : undefined;
}

export interface ScoresChain {
  readonly context: Node;
  readonly values: string[];
  readonly nodes: Node[];
  readonly headConstants: HeadConstant[];
  /** Reshapes on the path (only where heads are folded into the batch: [B·H,T,S] ↔ [B,H,T,S]). */
  readonly reshapes: Node[];
}

export function scoresChain(level: Level, scores: Node, heads: number, folded = false): ScoresChain | string {
  const values: string[] = [];
  const nodes: Node[] = [];
  const headConstants: HeadConstant[] = [];
  const reshapes: Node[] = [];
  let v = scores.outputs[0]!;
  let sawSoftmax = false;
  for (;;) {
    values.push(v);
    const next = pathReader(level, v);
    if (next === undefined) return `scores path: ${level.describeConsumers(v)}`;
    if (opIs(next, 'MatMul')) {
      if (next.inputs[0] !== v) return `scores reach ${describe(next)} as its second input`;
      if (!sawSoftmax) return `no Softmax between ${describe(scores)} and ${describe(next)}`;
      return { context: next, values, nodes, headConstants, reshapes };
    }
    if (folded && opIs(next, 'Reshape') && next.inputs[0] === v) {
      reshapes.push(next);
      nodes.push(next);
      v = next.outputs[0]!;
      continue;
    }
    if (opIs(next, 'Softmax')) {
      const axis = getInt(next, 'axis', -1);
      if (axis !== -1 && axis !== 3) return `${describe(next)} normalises axis ${axis}, not the keys`;
      sawSoftmax = true;
    } else if (CHAIN_BINARY.has(next.opType) && next.domain === '') {
      const other = next.inputs.find((i) => i !== v) ?? '';
      const c = level.constant(other);
      if (c !== undefined && c.dims.length >= 3 && (c.dims[c.dims.length - 3] ?? 1) !== 1) {
        return `${describe(next)} reads constant "${other}" with a per-head axis`;
      }
      // Additive masks are computed; a computed factor is a dropout mask or a gate, which may have a head axis.
      if (c === undefined && (next.opType === 'Mul' || next.opType === 'Div')) {
        return `${describe(next)} scales the attention by a computed value ("${other}", a dropout mask?) that may have a head axis`;
      }
      if (c === undefined && next.opType === 'Add') {
        const bias = headBias(level, other, next, heads);
        if (typeof bias === 'string') return bias;
        if (bias !== undefined) {
          headConstants.push(bias);
          nodes.push(bias.node);
          values.push(other);
        }
        const table = bias === undefined ? headAxisConstant(level, other, heads) : undefined;
        if (table !== undefined) {
          return `${describe(next)} adds "${other}", computed from constant "${table.name}" [${table.dims}] with an axis of ${heads} (a per-head position bias, as T5's relative_attention_bias, which later layers reuse): its heads are not sliced`;
        }
      }
      const input = headShapedInput(level, other, heads);
      if (input !== undefined)
        return `${describe(next)} reads graph input "${input}", declared with ${heads} heads`;
    } else if (opIs(next, 'Cast')) {
      // T5 computes the softmax in float32 (`scores.float()`), a Cast to the same type in a float32 export
    } else if (opIs(next, 'Where')) {
      if (next.inputs[0] === v) return `${describe(next)} uses the scores as its condition`;
      for (const other of next.inputs) {
        const input = other === v ? undefined : headShapedInput(level, other, heads);
        if (input !== undefined)
          return `${describe(next)} reads graph input "${input}", declared with ${heads} heads`;
      }
    } else {
      return `${describe(next)} on the scores path is not supported (expected elementwise ops and Softmax)`;
    }
    nodes.push(next);
    v = next.outputs[0]!;
  }
}

/**
 * The attention block whose scores MatMul is `scores`: undefined when `scores` is not one (its inputs are not
 * head-split), a reason when the structure is attention but something stops the rewrite.
 */
