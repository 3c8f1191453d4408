/**
 * Serving graphs of the translation model with a key/value cache, in Hugging Face Optimum's layout and names,
 * so that each generated token costs one decoder step:
 *   decoder_model.onnx            input_ids, encoder_attention_mask, encoder_hidden_states
 *                                 → logits, present.{i}.decoder.key/value, present.{i}.encoder.key/value
 *   decoder_with_past_model.onnx  input_ids (the new tokens), encoder_attention_mask,
 *                                 past_key_values.{i}.decoder.key/value, past_key_values.{i}.encoder.key/value
 *                                 → logits, present.{i}.decoder.key/value
 * Keys and values are [batch, heads, length, head_dim]. Parameter names match the training graph.
 */
import { attr } from '../onnx/attributes.js';
import { DataType } from '../onnx/dtype.js';
import { tensorFromNumbers } from '../onnx/tensor.js';
import type { Rng } from '../util/rng.js';
import type { TransformerConfig } from './config.js';
import { createModelContext, type ModelContext } from './context.js';
import { attentionBias, type BuiltModel, wordEmbedding } from './encoder.js';
import { feedForward, layerNorm, linear, residual, splitHeads } from './layers.js';
import { alibiBias, alibiDistances, dimension } from './positions.js';

interface Cache {
  readonly key: string;
  readonly value: string;
}

const HEADS = [0, 2, 1, 3];

/** Attention of new queries over (cached + new) keys and values, all [B, H, *, d_head]; returns [B, T, D]. */
function attend(
  m: ModelContext,
  query: string,
  key: string,
  value: string,
  bias: string,
  name: string,
  alibi?: string,
): string {
  const { dModel: d, heads: h } = m.config;
  const b = m.b;
  const qh = splitHeads(m, b.op('Mul', [query, m.scalar(1 / Math.sqrt(d / h))]), HEADS);
  const kt = b.op('Transpose', [key], { perm: attr.ints([0, 1, 3, 2]) });
  let scores = b.op('MatMul', [qh, kt]);
  if (alibi !== undefined) scores = b.op('Add', [scores, alibiBias(m, alibi, name)]);
  const probs = b.op('Softmax', [b.op('Add', [scores, bias])], { axis: attr.int(-1) });
  const context = b.op('Transpose', [b.op('MatMul', [probs, value])], { perm: attr.ints(HEADS) });
  return linear(m, b.op('Reshape', [context, m.int64s([0, 0, d])]), `${name}.out`, d, d);
}

/** [B, 1, T, P+T] bias: new query i (absolute position P+i) sees keys 0…P+i. */
function causalBiasWithPast(m: ModelContext, ids: string, pastLength: string): string {
  const b = m.b;
  const t = b.op('Gather', [b.op('Shape', [ids]), m.int64s([1])], { axis: attr.int(0) });
  const total = b.op('Add', [t, pastLength]);
  const ones = b.op('ConstantOfShape', [b.op('Concat', [t, total], { axis: attr.int(0) })], {
    value: attr.tensor(tensorFromNumbers('one', m.floatType, [1], [1])),
  });
  const lower = b.op('Trilu', [ones, b.op('Reshape', [pastLength, m.int64s([])])], { upper: attr.int(0) });
  return b.op('Unsqueeze', [
    b.op('Mul', [b.op('Sub', [m.scalar(1), lower]), m.scalar(-1e4)]),
    m.int64s([0, 1]),
  ]);
}

/** The past key/value inputs of every layer (Optimum's names): self-attention and cross-attention caches. */
function pastInputs(m: ModelContext): { self: Cache; cross: Cache }[] {
  const { heads: h, layers, dModel } = m.config;
  const dh = dModel / h;
  return Array.from({ length: layers }, (_, i) => {
    const cache = (kind: string, len: string): Cache => ({
      key: m.b.input(`past_key_values.${i}.${kind}.key`, m.floatType, ['batch', h, len, dh]),
      value: m.b.input(`past_key_values.${i}.${kind}.value`, m.floatType, ['batch', h, len, dh]),
    });
    return {
      self: cache('decoder', 'past_decoder_sequence_length'),
      cross: cache('encoder', 'encoder_sequence_length_out'),
    };
  });
}

/** Declares the present.* outputs: the grown self-attention cache, and (first step only) the cross cache. */
function declarePresentOutputs(m: ModelContext, withPast: boolean): void {
  const b = m.b;
  const { heads: h, layers, dModel } = m.config;
  const dh = dModel / h;
  for (let i = 0; i < layers; i++) {
    const shape = ['batch', h, withPast ? 'past_decoder_sequence_length + 1' : 'decoder_sequence_length', dh];
    b.output(`present.${i}.decoder.key`, { elemType: m.floatType, shape });
    b.output(`present.${i}.decoder.value`, { elemType: m.floatType, shape });
    if (!withPast) {
      b.output(`present.${i}.encoder.key`, {
        elemType: m.floatType,
        shape: ['batch', h, 'encoder_sequence_length_out', dh],
      });
      b.output(`present.${i}.encoder.value`, {
        elemType: m.floatType,
        shape: ['batch', h, 'encoder_sequence_length_out', dh],
      });
    }
  }
}

/** The `logits` output: the word embedding, transposed, as the output projection (tied), plus a bias. */
function tiedLogits(m: ModelContext, x: string, word: string): void {
  const b = m.b;
  const bias = m.param('head.bias', [m.config.vocabSize], 'bias', { fill: 0 });
  const logits = b.op(
    'Add',
    [b.op('MatMul', [x, b.op('Transpose', [word], { perm: attr.ints([1, 0]) })]), bias],
    {},
    { outputs: ['logits'] },
  );
  b.output(logits, {
    elemType: m.floatType,
    shape: ['batch', 'decoder_sequence_length', m.config.vocabSize],
  });
}

export function buildCachedDecoder(
  config: TransformerConfig,
  options: { rng: Rng; withPast: boolean },
): BuiltModel {
  const m = createModelContext(config, options.rng, { training: false, dropout: false });
  const b = m.b;
  const { dModel: d, heads: h, layers } = config;
  const _dh = d / h;
  const word = wordEmbedding(m);
  const ids = b.input('input_ids', DataType.INT64, ['batch', 'decoder_sequence_length']);
  const encoderMask = b.input('encoder_attention_mask', DataType.INT64, ['batch', 'encoder_sequence_length']);
  const memory = options.withPast
    ? ''
    : b.input('encoder_hidden_states', m.floatType, ['batch', 'encoder_sequence_length', d]);
  const past = options.withPast ? pastInputs(m) : [];
  const pastLength = options.withPast
    ? b.op('Gather', [b.op('Shape', [past[0]!.self.key]), m.int64s([2])], { axis: attr.int(0) })
    : m.int64s([0]);

  let x = b.op('Gather', [word, ids], { axis: attr.int(0) });
  let alibi: string | undefined;
  if (config.positions === 'learned') {
    // Embeddings at absolute positions past … past + T.
    const position = m.param('decoder.embeddings.position', [config.maxLength, d], 'embedding', { std: 0 });
    const t = b.op('Gather', [b.op('Shape', [ids]), m.int64s([1])], { axis: attr.int(0) });
    x = b.op('Add', [x, b.op('Slice', [position, pastLength, b.op('Add', [pastLength, t]), m.int64s([0])])]);
  }
  if (!config.preLayerNorm) x = layerNorm(m, x, 'decoder.embeddings.norm');

  const selfBias = causalBiasWithPast(m, ids, pastLength);
  const crossBias = attentionBias(m, encoderMask);
  for (let i = 0; i < layers; i++) {
    const p = `decoder.layers.${i}`;
    x = residual(m, x, `${p}.self_norm`, 'target', `${p}.self_out`, (y) => {
      const [q, k, v] = b.opMulti(
        'Split',
        [linear(m, y, `${p}.self.qkv`, d, 3 * d), m.int64s([d, d, d])],
        { axis: attr.int(-1) },
        { outputs: 3 },
      );
      let key = splitHeads(m, k!, HEADS);
      let value = splitHeads(m, v!, HEADS);
      if (options.withPast) {
        key = b.op('Concat', [past[i]!.self.key, key], { axis: attr.int(2) });
        value = b.op('Concat', [past[i]!.self.value, value], { axis: attr.int(2) });
      }
      b.op('Identity', [key], {}, { outputs: [`present.${i}.decoder.key`] });
      b.op('Identity', [value], {}, { outputs: [`present.${i}.decoder.value`] });
      // The new queries sit at past … past + T − 1; the keys (cached and new) at 0 … past + T − 1.
      if (config.positions === 'alibi' && alibi === undefined) {
        const past = b.op('Reshape', [pastLength, m.int64s([])]);
        alibi = alibiDistances(m, dimension(m, ids, 1), dimension(m, key, 2), past);
      }
      return attend(m, q!, key, value, selfBias, `${p}.self`, alibi);
    });
    x = residual(m, x, `${p}.cross_norm`, 'target', `${p}.cross_out`, (y) => {
      const q = linear(m, y, `${p}.cross.q`, d, d);
      let cache: Cache;
      if (options.withPast) cache = past[i]!.cross;
      else {
        const [k, v] = b.opMulti(
          'Split',
          [linear(m, memory, `${p}.cross.kv`, d, 2 * d), m.int64s([d, d])],
          { axis: attr.int(-1) },
          { outputs: 2 },
        );
        cache = { key: splitHeads(m, k!, HEADS), value: splitHeads(m, v!, HEADS) };
        b.op('Identity', [cache.key], {}, { outputs: [`present.${i}.encoder.key`] });
        b.op('Identity', [cache.value], {}, { outputs: [`present.${i}.encoder.value`] });
      }
      return attend(m, q, cache.key, cache.value, crossBias, `${p}.cross`);
    });
    x = residual(m, x, `${p}.ffn_norm`, 'target', `${p}.ffn_out`, (y) => feedForward(m, y, `${p}.ffn`));
  }
  if (config.preLayerNorm) x = layerNorm(m, x, 'decoder.final_norm');
  tiedLogits(m, x, word);
  declarePresentOutputs(m, options.withPast);
  return { model: b.toModel(), params: m.params, dropoutSites: [] };
}
