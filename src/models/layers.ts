/** Transformer building blocks over a ModelContext: linear, layer norm, activation, attention, feed-forward. */
import { attr } from '../onnx/attributes.js';
import { MS_DOMAIN } from '../onnx/builder.js';
import type { ModelContext } from './context.js';

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

/**
 * Multi-head self-attention. x [B, T, D], maskBias [B, 1, 1, T] (0 or a large negative number).
 * Q, K and V come from one fused [D, 3D] projection (one GEMM instead of three).
 */
export function selfAttention(
  m: ModelContext,
  x: string,
  maskBias: string,
  name: string,
  layer: number,
): string {
  const { dModel: d, heads: h } = m.config;
  const dh = d / h;
  const b = m.b;
  const qkv = linear(m, x, `${name}.qkv`, d, 3 * d);
  const [q, k, v] = b.opMulti(
    'Split',
    [qkv, m.int64s([d, d, d])],
    { axis: attr.int(-1) },
    { name: `${name}/split`, outputs: 3 },
  );
  const heads = m.int64s([0, 0, h, dh]);
  const scaled = b.op('Mul', [q!, m.scalar(1 / Math.sqrt(dh))]);
  const qh = b.op('Transpose', [b.op('Reshape', [scaled, heads])], { perm: attr.ints([0, 2, 1, 3]) });
  const kt = b.op('Transpose', [b.op('Reshape', [k!, heads])], { perm: attr.ints([0, 2, 3, 1]) });
  const vh = b.op('Transpose', [b.op('Reshape', [v!, heads])], { perm: attr.ints([0, 2, 1, 3]) });
  const scores = b.op('Add', [b.op('MatMul', [qh, kt], {}, { name: `${name}/scores` }), maskBias]);
  let probs = b.op('Softmax', [scores], { axis: attr.int(-1) });
  probs = m.dropout(
    probs,
    m.config.attentionDropout,
    ['batch', h, 'sequence', 'sequence'],
    `layer${layer}.attention`,
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

/** One encoder layer, pre- or post-LayerNorm. */
export function encoderLayer(m: ModelContext, x: string, maskBias: string, i: number): string {
  const p = `layers.${i}`;
  const hidden = ['batch', 'sequence', m.config.dModel] as const;
  const drop = (y: string, site: string) => m.dropout(y, m.config.dropout, hidden, `layer${i}.${site}`);
  const b = m.b;
  if (m.config.preLayerNorm) {
    const h = b.op('Add', [
      x,
      drop(selfAttention(m, layerNorm(m, x, `${p}.attn_norm`), maskBias, `${p}.attn`, i), 'attn_out'),
    ]);
    return b.op('Add', [h, drop(feedForward(m, layerNorm(m, h, `${p}.ffn_norm`), `${p}.ffn`), 'ffn_out')]);
  }
  const h = layerNorm(
    m,
    b.op('Add', [x, drop(selfAttention(m, x, maskBias, `${p}.attn`, i), 'attn_out')]),
    `${p}.attn_norm`,
  );
  return layerNorm(m, b.op('Add', [h, drop(feedForward(m, h, `${p}.ffn`), 'ffn_out')]), `${p}.ffn_norm`);
}
