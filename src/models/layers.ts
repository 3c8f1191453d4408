/** Transformer building blocks over a ModelContext: linear, layer norm, activation, attention, feed-forward. */
import { attr } from '../onnx/attributes.js';
import { MS_DOMAIN } from '../onnx/builder.js';
import type { ModelContext } from './context.js';
import { alibiBias } from './positions.js';

const INIT_STD = 0.02;

/** x @ W + b with W stored [in, out]. */
export function linear(m: ModelContext, x: string, name: string, inDim: number, outDim: number): string {
  const w = m.param(`${name}.weight`, [inDim, outDim], 'weight', { std: INIT_STD });
  const bias = m.param(`${name}.bias`, [outDim], 'bias', { fill: 0 });
  return m.b.op(
    'Add',
    [m.b.op('MatMul', [x, w], {}, { name: `${name}/MatMul` }), bias],
    {},
    { name: `${name}/Add` },
  );
}

/** LayerNormalization over the last axis; keeps its mean / inverse std outputs for the backward pass. */
export function layerNorm(m: ModelContext, x: string, name: string): string {
  const d = m.config.dModel;
  const scale = m.param(`${name}.scale`, [d], 'norm', { fill: 1 });
  const bias = m.param(`${name}.bias`, [d], 'norm', { fill: 0 });
  const [y] = m.b.opMulti(
    'LayerNormalization',
    [x, scale, bias],
    { axis: attr.int(-1), epsilon: attr.float(m.config.layerNormEpsilon) },
    { name, outputs: m.training ? 3 : 1 },
  );
  return y!;
}

export function activation(m: ModelContext, x: string): string {
  switch (m.config.activation) {
    case 'gelu':
      return m.b.op('Gelu', [x], {}, { domain: MS_DOMAIN });
    case 'relu':
      return m.b.op('Relu', [x]);
    case 'gelu_tanh': {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), written out so it runs in float64 too
      const b = m.b;
      const cube = b.op('Mul', [b.op('Mul', [x, x]), x]);
      const inner = b.op('Mul', [
        b.op('Add', [x, b.op('Mul', [cube, m.scalar(0.044715)])]),
        m.scalar(Math.sqrt(2 / Math.PI)),
      ]);
      return b.op('Mul', [
        b.op('Mul', [x, m.scalar(0.5)]),
        b.op('Add', [b.op('Tanh', [inner]), m.scalar(1)]),
      ]);
    }
    default: {
      const never: never = m.config.activation;
      throw new Error(`unknown activation ${String(never)}`);
    }
  }
}

/** Where attention reads its keys and values, and the symbolic length names for dropout-mask shapes. */
export interface AttentionSpec {
  /** Keys/values come from this [B, S, D] value (cross-attention); undefined: from the query input (self). */
  readonly memory?: string;
  /** Additive bias broadcastable to [B, H, T, S]. */
  readonly bias: string;
  /** ALiBi distances [1, T, S] (positions.ts); this layer adds −slope_h · distance per head. */
  readonly alibi?: string;
  readonly queryLength: string;
  readonly keyLength: string;
  /** Unique dropout-site name. */
  readonly site: string;
}

/** [B, T, D] → [B, H, T, d_head] (perm [0, 2, 1, 3]) or [B, H, d_head, T] (perm [0, 2, 3, 1]). */
export function splitHeads(m: ModelContext, x: string, perm: readonly number[]): string {
  const { dModel: d, heads: h } = m.config;
  return m.b.op('Transpose', [m.b.op('Reshape', [x, m.int64s([0, 0, h, d / h])])], { perm: attr.ints(perm) });
}

/**
 * Multi-head attention. Self-attention takes Q, K, V from one fused [D, 3D] projection (one GEMM instead of
 * three); cross-attention projects Q from the queries and a fused [D, 2D] K/V from the memory. Q is scaled by
 * 1/√d_head before the product, on [B, T, D] rather than on the [B, H, T, S] scores.
 */
export function attention(m: ModelContext, x: string, name: string, spec: AttentionSpec): string {
  const { dModel: d, heads: h } = m.config;
  const b = m.b;
  let q: string;
  let k: string;
  let v: string;
  if (spec.memory === undefined) {
    const qkv = linear(m, x, `${name}.qkv`, d, 3 * d);
    [q, k, v] = b.opMulti(
      'Split',
      [qkv, m.int64s([d, d, d])],
      { axis: attr.int(-1) },
      { name: `${name}/split`, outputs: 3 },
    ) as [string, string, string];
  } else {
    q = linear(m, x, `${name}.q`, d, d);
    const kv = linear(m, spec.memory, `${name}.kv`, d, 2 * d);
    [k, v] = b.opMulti(
      'Split',
      [kv, m.int64s([d, d])],
      { axis: attr.int(-1) },
      { name: `${name}/split`, outputs: 2 },
    ) as [string, string];
  }
  const qh = splitHeads(m, b.op('Mul', [q, m.scalar(1 / Math.sqrt(d / h))]), [0, 2, 1, 3]);
  const kt = splitHeads(m, k, [0, 2, 3, 1]);
  const vh = splitHeads(m, v, [0, 2, 1, 3]);
  let scores = b.op('MatMul', [qh, kt], {}, { name: `${name}/scores` });
  if (spec.alibi !== undefined) scores = b.op('Add', [scores, alibiBias(m, spec.alibi, name)]);
  scores = b.op('Add', [scores, spec.bias]);
  let probs = b.op('Softmax', [scores], { axis: attr.int(-1) });
  probs = m.dropout(
    probs,
    m.config.attentionDropout,
    ['batch', h, spec.queryLength, spec.keyLength],
    `${spec.site}.attention`,
  );
  const context = b.op('MatMul', [probs, vh], {}, { name: `${name}/context` });
  const merged = b.op('Reshape', [
    b.op('Transpose', [context], { perm: attr.ints([0, 2, 1, 3]) }),
    m.int64s([0, 0, d]),
  ]);
  return linear(m, merged, `${name}.out`, d, d);
}

export function feedForward(m: ModelContext, x: string, name: string): string {
  const { dModel: d, ffn } = m.config;
  return linear(m, activation(m, linear(m, x, `${name}.up`, d, ffn)), `${name}.down`, ffn, d);
}

/**
 * A residual sub-layer: pre-LN `x + drop(f(norm(x)))` or post-LN `norm(x + drop(f(x)))`.
 * `length` names the sequence dimension for the dropout mask's shape.
 */
export function residual(
  m: ModelContext,
  x: string,
  norm: string,
  length: string,
  site: string,
  f: (input: string) => string,
): string {
  const drop = (y: string) => m.dropout(y, m.config.dropout, ['batch', length, m.config.dModel], site);
  if (m.config.preLayerNorm) return m.b.op('Add', [x, drop(f(layerNorm(m, x, norm)))]);
  return layerNorm(m, m.b.op('Add', [x, drop(f(x))]), norm);
}

/** One encoder layer: self-attention and feed-forward, each a residual sub-layer. */
export function encoderLayer(
  m: ModelContext,
  x: string,
  maskBias: string,
  alibi: string | undefined,
  i: number,
  prefix = 'layers',
): string {
  const p = `${prefix}.${i}`;
  const self: AttentionSpec = {
    bias: maskBias,
    ...(alibi !== undefined && { alibi }),
    queryLength: 'sequence',
    keyLength: 'sequence',
    site: `${p}.self`,
  };
  const h = residual(m, x, `${p}.attn_norm`, 'sequence', `${p}.attn_out`, (y) =>
    attention(m, y, `${p}.attn`, self),
  );
  return residual(m, h, `${p}.ffn_norm`, 'sequence', `${p}.ffn_out`, (y) => feedForward(m, y, `${p}.ffn`));
}
