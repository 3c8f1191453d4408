/**
 * config.json in the Hugging Face format of an existing architecture family, so that tools that read model
 * folders (transformers.js, Optimum) know what they hold: `roberta` for fill-mask encoders, `marian` for
 * translation encoder-decoders. The ONNX graphs carry the computation; the config tells loaders the task,
 * sizes and special token ids.
 */

import type { TransformerConfig } from '../models/config.js';
import type { SpecialIds } from '../tokenizer/special-ids.js';

const ACTIVATIONS: Readonly<Record<TransformerConfig['activation'], string>> = {
  gelu: 'gelu',
  gelu_tanh: 'gelu_new',
  relu: 'relu',
};

/**
 * Hugging Face's `position_embedding_type` ('absolute' is BERT's learned table); 'alibi' is TLC's: no table,
 * the ONNX graphs add the per-head distance bias themselves, so loaders that run the graphs need nothing else.
 */
const POSITION_TYPES: Readonly<Record<TransformerConfig['positions'], string>> = {
  learned: 'absolute',
  alibi: 'alibi',
};

export function robertaConfig(c: TransformerConfig, special: SpecialIds): Record<string, unknown> {
  return {
    architectures: ['RobertaForMaskedLM'],
    model_type: 'roberta',
    vocab_size: c.vocabSize,
    hidden_size: c.dModel,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    intermediate_size: c.ffn,
    hidden_act: ACTIVATIONS[c.activation],
    hidden_dropout_prob: c.dropout,
    attention_probs_dropout_prob: c.attentionDropout,
    max_position_embeddings: c.maxLength,
    position_embedding_type: POSITION_TYPES[c.positions],
    type_vocab_size: 1,
    layer_norm_eps: c.layerNormEpsilon,
    bos_token_id: special.bos,
    eos_token_id: special.eos,
    pad_token_id: special.pad,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    transformers_version: '4.46.0',
  };
}

export function marianConfig(c: TransformerConfig, special: SpecialIds): Record<string, unknown> {
  return {
    architectures: ['MarianMTModel'],
    model_type: 'marian',
    vocab_size: c.vocabSize,
    decoder_vocab_size: c.vocabSize,
    d_model: c.dModel,
    encoder_layers: c.layers,
    decoder_layers: c.layers,
    encoder_attention_heads: c.heads,
    decoder_attention_heads: c.heads,
    encoder_ffn_dim: c.ffn,
    decoder_ffn_dim: c.ffn,
    activation_function: ACTIVATIONS[c.activation],
    dropout: c.dropout,
    attention_dropout: c.attentionDropout,
    max_position_embeddings: c.maxLength,
    position_embedding_type: POSITION_TYPES[c.positions],
    max_length: c.maxLength,
    num_beams: 1,
    bos_token_id: special.bos,
    eos_token_id: special.eos,
    pad_token_id: special.pad,
    decoder_start_token_id: special.bos,
    forced_eos_token_id: special.eos,
    is_encoder_decoder: true,
    share_encoder_decoder_embeddings: true,
    tie_word_embeddings: true,
    normalize_before: c.preLayerNorm,
    use_cache: true,
    torch_dtype: 'float32',
    transformers_version: '4.46.0',
  };
}
