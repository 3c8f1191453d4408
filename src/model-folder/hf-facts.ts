/**
 * What a Hugging Face `config.json` says about a model, read with the field names the common families use
 * (BERT/RoBERTa, Marian/BART/T5, GPT-2/Llama): one table of aliases per fact, the first present wins.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';

export interface HfFacts {
  readonly architectures: readonly string[];
  readonly modelType?: string;
  readonly vocabSize?: number;
  /** Positions the model can take, after the family's offset (RoBERTa reserves padding_idx + 1). */
  readonly maxLength?: number;
  readonly hidden?: number;
  readonly layers?: number;
  readonly heads?: number;
  readonly ffn?: number;
  readonly decoderStart?: number;
  readonly isEncoderDecoder?: boolean;
  readonly activation?: string;
  readonly preLayerNorm?: boolean;
}

type Json = Readonly<Record<string, unknown>>;

const ALIASES = {
  vocabSize: ['vocab_size'],
  maxLength: ['max_position_embeddings', 'n_positions', 'max_sequence_length', 'n_ctx'],
  hidden: ['hidden_size', 'd_model', 'n_embd', 'dim'],
  layers: ['num_hidden_layers', 'encoder_layers', 'n_layer', 'num_layers', 'n_layers'],
  heads: ['num_attention_heads', 'encoder_attention_heads', 'n_head', 'num_heads', 'n_heads'],
  ffn: ['intermediate_size', 'encoder_ffn_dim', 'n_inner', 'd_ff', 'hidden_dim'],
  decoderStart: ['decoder_start_token_id'],
} as const satisfies Record<string, readonly string[]>;

/** Families whose position table starts after the padding index (HF's create_position_ids_from_input_ids). */
const PADDING_OFFSET_FAMILIES = new Set([
  'roberta',
  'xlm-roberta',
  'camembert',
  'longformer',
  'data2vec-text',
]);

function firstInteger(config: Json, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const v = config[key];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  }
  return undefined;
}

/** Parses a config object (already read). Unknown or malformed fields are left undefined. */
export function hfFactsOf(config: Json): HfFacts {
  const modelType = typeof config.model_type === 'string' ? config.model_type : undefined;
  const architectures = Array.isArray(config.architectures)
    ? config.architectures.filter((a): a is string => typeof a === 'string')
    : [];
  const facts: Record<string, unknown> = { architectures, ...(modelType !== undefined && { modelType }) };
  for (const [fact, keys] of Object.entries(ALIASES)) {
    const v = firstInteger(config, keys);
    if (v !== undefined) facts[fact] = v;
  }
  const positions = facts.maxLength as number | undefined;
  if (positions !== undefined && modelType !== undefined && PADDING_OFFSET_FAMILIES.has(modelType)) {
    const pad = firstInteger(config, ['pad_token_id']) ?? 1;
    facts.maxLength = Math.max(0, positions - pad - 1);
  }
  if (typeof config.is_encoder_decoder === 'boolean') facts.isEncoderDecoder = config.is_encoder_decoder;
  const act = config.hidden_act ?? config.activation_function ?? config.hidden_activation;
  if (typeof act === 'string') facts.activation = act;
  if (typeof config.normalize_before === 'boolean') facts.preLayerNorm = config.normalize_before;
  return facts as unknown as HfFacts;
}

/** `dir/config.json` read, or undefined when the folder has none. */
export function readHfConfig(path: string): Json | undefined {
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TlcError('MODEL_INVALID', `${path}: cannot read JSON (${messageOf(error)})`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TlcError('MODEL_INVALID', `${path}: not a JSON object`);
  return value as Json;
}

export function readHfFacts(dir: string): HfFacts | undefined {
  const config = readHfConfig(join(dir, 'config.json'));
  return config === undefined ? undefined : hfFactsOf(config);
}
