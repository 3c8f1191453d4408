/**
 * The encoder-decoder Transformer for translation: shared source/target vocabulary, one token embedding tied to
 * the output projection, learned or ALiBi positions, post- or pre-LayerNorm, label-smoothed cross-entropy.
 * Heads: 'loss' (training: logits only at target positions that carry a label), 'next-token' (greedy
 * decoding without a cache: the arg-max token after the last decoder position), 'logits'.
 */
import { attr } from '../onnx/attributes.js';
import { DataType } from '../onnx/dtype.js';
import { tensorFromNumbers } from '../onnx/tensor.js';
import type { Rng } from '../util/rng.js';
import type { TransformerConfig } from './config.js';
import { createModelContext, type ModelContext } from './context.js';
import { attentionBias, type BuiltModel, embed, encode, IGNORE_INDEX, wordEmbedding } from './encoder.js';
import { attention, feedForward, layerNorm, residual } from './layers.js';
import { crossEntropy } from './loss.js';
import { selfDistances } from './positions.js';

export interface Seq2SeqOptions {
  readonly rng: Rng;
  /**
   * 'loss' (training), 'logits' (every target position), 'encoder' (returns encoder_hidden_states), or
   * 'next-token' (takes encoder_hidden_states, returns the arg-max token after the last decoder position).
   */
  readonly head: 'loss' | 'next-token' | 'logits' | 'encoder';
  readonly dropout: boolean;
  /** Label smoothing ε for the loss head (default 0.1, as in the paper's translation setup). */
  readonly labelSmoothing?: number;
  readonly opset?: number;
}

/** [1, 1, T, T] additive bias that hides future positions. */
function causalBias(m: ModelContext, ids: string): string {
  const b = m.b;
  const t = b.op('Gather', [b.op('Shape', [ids]), m.int64s([1])], { axis: attr.int(0) });
  const ones = b.op('ConstantOfShape', [b.op('Concat', [t, t], { axis: attr.int(0) })], {
    value: attr.tensor(tensorFromNumbers('one', m.floatType, [1], [1])),
  });
  const lower = b.op('Trilu', [ones], { upper: attr.int(0) });
  const bias = b.op('Mul', [b.op('Sub', [m.scalar(1), lower]), m.scalar(-1e4)]);
  return b.op('Unsqueeze', [bias, m.int64s([0, 1])]);
}

function decoderLayer(
  m: ModelContext,
  x: string,
  memory: string,
  selfBias: string,
  crossBias: string,
  alibi: string | undefined,
  i: number,
): string {
  const p = `decoder.layers.${i}`;
  let h = residual(m, x, `${p}.self_norm`, 'target', `${p}.self_out`, (y) =>
    attention(m, y, `${p}.self`, {
      bias: selfBias,
      ...(alibi !== undefined && { alibi }),
      queryLength: 'target',
      keyLength: 'target',
      site: `${p}.self`,
    }),
  );
  h = residual(m, h, `${p}.cross_norm`, 'target', `${p}.cross_out`, (y) =>
    attention(m, y, `${p}.cross`, {
      memory,
      bias: crossBias,
      queryLength: 'target',
      keyLength: 'sequence',
      site: `${p}.cross`,
    }),
  );
  return residual(m, h, `${p}.ffn_norm`, 'target', `${p}.ffn_out`, (y) => feedForward(m, y, `${p}.ffn`));
}

/** The decoder stack over target ids, attending to `memory`; returns [B, T, D]. */
export function decode(
  m: ModelContext,
  ids: string,
  selfBias: string,
  memory: string,
  crossBias: string,
  word: string,
): string {
  let x = embed(m, ids, word, 'decoder.embeddings.', 'target');
  // ALiBi on causal self-attention only (keys j ≤ i, so −m·(i − j)); cross-attention has no position bias.
  const alibi = m.config.positions === 'alibi' ? selfDistances(m, ids) : undefined;
  for (let i = 0; i < m.config.layers; i++)
    x = m.b.scope(`decoder.layer${i}`, () => decoderLayer(m, x, memory, selfBias, crossBias, alibi, i));
  return m.config.preLayerNorm ? layerNorm(m, x, 'decoder.final_norm') : x;
}

/** Tied projection onto the vocabulary: rows [N, D] → [N, V]. */
function project(m: ModelContext, rows: string, word: string): string {
  const bias = m.param('head.bias', [m.config.vocabSize], 'bias', { fill: 0 });
  return m.b.op('Gemm', [rows, word, bias], { transB: attr.int(1) }, { name: 'head/logits' });
}

export function buildSeq2Seq(config: TransformerConfig, options: Seq2SeqOptions): BuiltModel {
  const m = createModelContext(
    config,
    options.rng,
    { training: options.head === 'loss', dropout: options.dropout },
    options.opset,
  );
  const b = m.b;
  const word = wordEmbedding(m);
  const ids =
    options.head === 'next-token' ? '' : b.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  const mask = b.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
  if (options.head === 'encoder') {
    const hidden = encode(m, ids, mask, word, 'encoder.');
    b.op('Identity', [hidden], {}, { name: 'encoder_output', outputs: ['encoder_hidden_states'] });
    b.output('encoder_hidden_states', { elemType: m.floatType, shape: ['batch', 'sequence', config.dModel] });
    return { model: b.toModel(), params: m.params, dropoutSites: m.dropoutSites };
  }
  const target = b.input('decoder_input_ids', DataType.INT64, ['batch', 'target']);
  const memory =
    options.head === 'next-token'
      ? b.input('encoder_hidden_states', m.floatType, ['batch', 'sequence', config.dModel])
      : encode(m, ids, mask, word, 'encoder.');
  const crossBias = attentionBias(m, mask);
  let selfBias = causalBias(m, target);
  if (options.head === 'loss') {
    const targetMask = b.input('decoder_attention_mask', DataType.INT64, ['batch', 'target']);
    selfBias = b.op('Add', [selfBias, attentionBias(m, targetMask)]);
  }
  const hidden = decode(m, target, selfBias, memory, crossBias, word);
  const rows = b.op('Reshape', [hidden, m.int64s([-1, config.dModel])]);
  if (options.head === 'loss') {
    const positions = b.input('target_positions', DataType.INT64, ['targets']);
    const labels = b.input('target_labels', DataType.INT64, ['targets']);
    const logits = project(m, b.op('Gather', [rows, positions], { axis: attr.int(0) }), word);
    const loss = crossEntropy(b, logits, labels, {
      ignoreIndex: IGNORE_INDEX,
      labelSmoothing: options.labelSmoothing ?? 0.1,
      floatType: m.floatType,
    });
    b.output(loss, { elemType: m.floatType, shape: [] });
    return { model: b.toModel(), params: m.params, dropoutSites: m.dropoutSites, loss };
  }
  if (options.head === 'next-token') {
    const last = b.op('Gather', [hidden, m.int64s([-1])], { axis: attr.int(1) }); // [B, 1, D]
    const logits = project(m, b.op('Reshape', [last, m.int64s([-1, config.dModel])]), word);
    const next = b.op(
      'ArgMax',
      [logits],
      { axis: attr.int(-1), keepdims: attr.int(0) },
      { name: 'argmax_next', outputs: ['next_token'] },
    );
    b.output(next, { elemType: DataType.INT64, shape: ['batch'] });
    return { model: b.toModel(), params: m.params, dropoutSites: m.dropoutSites };
  }
  const logits = project(m, rows, word);
  const shape = b.op('Concat', [b.op('Shape', [target]), m.int64s([config.vocabSize])], {
    axis: attr.int(0),
  });
  b.output(b.op('Reshape', [logits, shape], {}, { name: 'logits_reshape', outputs: ['logits'] }), {
    elemType: m.floatType,
    shape: ['batch', 'target', config.vocabSize],
  });
  return { model: b.toModel(), params: m.params, dropoutSites: m.dropoutSites };
}
