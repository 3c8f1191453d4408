/**
 * The encoder with a RoBERTa-style masked-language-model head tied to the token embedding.
 * Training graphs take the masked positions and their labels and return the loss (logits only at masked
 * positions, as fairseq's RoBERTa does: 85% of the vocabulary projection is never needed); inference graphs
 * return logits for every position.
 */
import { attr } from '../onnx/attributes.js';
import { DataType } from '../onnx/dtype.js';
import type { Model } from '../onnx/ir.js';
import type { Rng } from '../util/rng.js';
import type { TransformerConfig } from './config.js';
import { createModelContext, type DropoutSite, type ModelContext, type ParamInfo } from './context.js';
import { activation, encoderLayer, layerNorm, linear } from './layers.js';
import { crossEntropy } from './loss.js';
import { selfDistances } from './positions.js';

export const IGNORE_INDEX = -100;

export interface BuiltModel {
  readonly model: Model;
  readonly params: readonly ParamInfo[];
  readonly dropoutSites: readonly DropoutSite[];
  /** The scalar loss output (training graphs). */
  readonly loss?: string;
}

/** The shared token embedding [V, D] (also the tied output projection). */
export function wordEmbedding(m: ModelContext): string {
  return m.param('embeddings.word', [m.config.vocabSize, m.config.dModel], 'embedding', { std: 0.02 });
}

/**
 * Token embeddings, plus learned position embeddings when the config uses them (ALiBi adds its positions in
 * attention instead), and their norm for post-LN, then dropout; returns [B, T, D]. `prefix` names the position
 * table and norm (`embeddings.` for the encoder-only model); `length` names the sequence dimension of the
 * dropout mask.
 */
export function embed(m: ModelContext, ids: string, word: string, prefix: string, length: string): string {
  const { maxLength: l, dModel: d } = m.config;
  const b = m.b;
  let x = b.op('Gather', [word, ids], { axis: attr.int(0) });
  if (m.config.positions === 'learned') {
    const position = m.param(`${prefix}position`, [l, d], 'embedding', { std: 0.02 });
    const size = b.op('Gather', [b.op('Shape', [ids]), m.int64s([1])], { axis: attr.int(0) });
    x = b.op('Add', [x, b.op('Slice', [position, m.int64s([0]), size, m.int64s([0])])]);
  }
  if (!m.config.preLayerNorm) x = layerNorm(m, x, `${prefix}norm`);
  return m.dropout(x, m.config.dropout, ['batch', length, d], `${prefix}dropout`);
}

/** Additive attention bias [B, 1, 1, T]: 0 where attention_mask is 1, −10⁴ where it is 0. */
export function attentionBias(m: ModelContext, mask: string): string {
  const b = m.b;
  const keep = b.op('Cast', [mask], { to: attr.int(m.floatType) });
  const bias = b.op('Mul', [b.op('Sub', [m.scalar(1), keep]), m.scalar(-1e4)]);
  return b.op('Unsqueeze', [bias, m.int64s([1, 2])]);
}

/**
 * The encoder stack: embeddings, layers, and the final norm for pre-LN. `prefix` ('' for the encoder-only
 * model, 'encoder.' inside an encoder-decoder) prefixes parameter names.
 */
export function encode(m: ModelContext, ids: string, mask: string, word: string, prefix = ''): string {
  let x = embed(m, ids, word, `${prefix}embeddings.`, 'sequence');
  const bias = attentionBias(m, mask);
  const alibi = m.config.positions === 'alibi' ? selfDistances(m, ids) : undefined;
  for (let i = 0; i < m.config.layers; i++) {
    x = m.b.scope(`${prefix}layer${i}`, () => encoderLayer(m, x, bias, alibi, i, `${prefix}layers`));
  }
  return m.config.preLayerNorm ? layerNorm(m, x, `${prefix}final_norm`) : x;
}

/** MLM head: dense → activation → norm → tied projection onto the vocabulary. `h` is [N, D]; returns [N, V]. */
function mlmHead(m: ModelContext, h: string): string {
  const d = m.config.dModel;
  const hidden = layerNorm(m, activation(m, linear(m, h, 'head.dense', d, d)), 'head.norm');
  const bias = m.param('head.bias', [m.config.vocabSize], 'bias', { fill: 0 });
  return m.b.op('Gemm', [hidden, 'embeddings.word', bias], { transB: attr.int(1) }, { name: 'head/logits' });
}

export interface EncoderOptions {
  readonly rng: Rng;
  /** 'loss': takes masked positions and labels, returns the loss; 'logits': returns logits for every position. */
  readonly head: 'loss' | 'logits';
  /** Dropout masks as inputs (training); without it the graph has no dropout (evaluation, serving). */
  readonly dropout: boolean;
  readonly opset?: number;
}

/** The encoder's graph inputs: token ids and attention mask, [batch, sequence] int64. */
export function tokenInputs(m: ModelContext): { ids: string; mask: string } {
  return {
    ids: m.b.input('input_ids', DataType.INT64, ['batch', 'sequence']),
    mask: m.b.input('attention_mask', DataType.INT64, ['batch', 'sequence']),
  };
}

/** The encoder's token inputs and its final token states [batch, sequence, D] (the MLM, classifier and embedding graphs). */
export function encodedTokens(m: ModelContext): { ids: string; mask: string; states: string } {
  const { ids, mask } = tokenInputs(m);
  return { ids, mask, states: encode(m, ids, mask, wordEmbedding(m)) };
}

export function buildMlmEncoder(config: TransformerConfig, options: EncoderOptions): BuiltModel {
  const m = createModelContext(
    config,
    options.rng,
    { training: options.head === 'loss', dropout: options.dropout },
    options.opset,
  );
  const b = m.b;
  const { ids, states: x } = encodedTokens(m);
  const rows = b.op('Reshape', [x, m.int64s([-1, config.dModel])]);
  if (options.head === 'loss') {
    const positions = b.input('mlm_positions', DataType.INT64, ['masked']);
    const labels = b.input('mlm_labels', DataType.INT64, ['masked']);
    const logits = mlmHead(m, b.op('Gather', [rows, positions], { axis: attr.int(0) }));
    const loss = crossEntropy(b, logits, labels, {
      ignoreIndex: IGNORE_INDEX,
      labelSmoothing: 0,
      floatType: m.floatType,
    });
    b.output(loss, { elemType: m.floatType, shape: [] });
    // For evaluation (accuracy); training graphs drop it with the other unused nodes.
    const predictions = b.op(
      'ArgMax',
      [logits],
      { axis: attr.int(-1), keepdims: attr.int(0) },
      {
        name: 'predictions',
        outputs: ['mlm_predictions'],
      },
    );
    b.output(predictions, { elemType: DataType.INT64, shape: ['masked'] });
    return { model: b.toModel(), params: m.params, dropoutSites: m.dropoutSites, loss };
  }
  const logits = mlmHead(m, rows);
  const shape = b.op('Concat', [b.op('Shape', [ids]), m.int64s([config.vocabSize])], { axis: attr.int(0) });
  const shaped = b.op('Reshape', [logits, shape], {}, { name: 'logits_reshape', outputs: ['logits'] });
  b.output(shaped, { elemType: m.floatType, shape: ['batch', 'sequence', config.vocabSize] });
  return { model: b.toModel(), params: m.params, dropoutSites: m.dropoutSites };
}
