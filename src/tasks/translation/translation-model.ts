/**
 * What translateIds needs from a translation model folder: the generation ids (generation_config.json, else
 * config.json), the maximum sequence length (tlc.json's architecture, else config.json) and one variant's
 * three ONNX files (tlc.json's variants, else Optimum's default file names).
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { messageOf, TlcError } from '../../errors/index.js';
import { generationIds } from '../../model-folder/generation-ids.js';
import { modelFolderTlc } from '../../model-folder/read.js';

export interface TranslationFiles {
  readonly encoder: string;
  /** decoder_model + decoder_with_past_model, or decoder_model_merged alone (decoder-sessions.ts). */
  readonly decoders: readonly string[];
}

/** The graphs in the order workers and evaluators open them: encoder, then the decoders. */
export const graphList = (files: TranslationFiles): string[] => [files.encoder, ...files.decoders];

export interface TranslationModelInfo {
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly decoderStart: number;
  readonly maxLength: number;
  /** The variant read (`fp32` when the folder has no tlc.json). */
  readonly variant: string;
  /** Absolute (folder-joined) paths of the variant's graphs. */
  readonly files: TranslationFiles;
}

/** The token ids and length limit that generation needs. */
export type GenerationIds = Pick<TranslationModelInfo, 'bos' | 'eos' | 'pad' | 'decoderStart' | 'maxLength'>;

type Json = Record<string, unknown>;

function readJson(path: string): Json | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
  } catch (error) {
    throw new TlcError('MODEL_INVALID', `${path}: not JSON (${messageOf(error)})`, { cause: error });
  }
  throw new TlcError('MODEL_INVALID', `${path}: not a JSON object`);
}

/** Each graph of a variant by its Optimum file name (suffixes such as `_int8` allowed). */
export function variantFiles(files: readonly string[], where: string): TranslationFiles {
  const named = (prefix: string) => files.filter((f) => basename(f).startsWith(prefix));
  const bad = (what: string): never => {
    throw new TlcError('MODEL_INVALID', `${where}: expected ${what} among ${files.join(', ') || 'no files'}`);
  };
  const encoder = named('encoder_model');
  if (encoder.length !== 1) bad('one encoder_model*.onnx');
  const merged = named('decoder_model_merged');
  const decoder = named('decoder_model').filter((f) => !merged.includes(f));
  const withPast = named('decoder_with_past_model');
  if (decoder.length === 1 && withPast.length === 1)
    return { encoder: encoder[0]!, decoders: [decoder[0]!, withPast[0]!] };
  if (merged.length === 1 && decoder.length === 0 && withPast.length === 0)
    return { encoder: encoder[0]!, decoders: [merged[0]!] };
  return bad(
    'decoder_model*.onnx with decoder_with_past_model*.onnx, or one decoder_model_merged*.onnx (export the ' +
      'decoder with its cache: optimum-cli export onnx --task text2text-generation-with-past)',
  );
}

/** Reads `folder`'s generation settings and the files of `variant` (default: fp32, else the first). */
export function readTranslationModel(folder: string, variant?: string): TranslationModelInfo {
  const tlc = modelFolderTlc(folder);
  const config = readJson(join(folder, 'config.json')) ?? {};
  if (tlc.task !== 'translation')
    throw new TlcError('MODEL_INVALID', `${folder}: a ${tlc.task} model, not a translation model`);
  // As Hugging Face's GenerationConfig reads them; a T5-family config has no bos_token_id and starts the
  // decoder from decoder_start_token_id.
  const ids = generationIds(folder, tlc.architecture.vocabSize);
  // T5-family configs name it n_positions.
  const maxLength = tlc.architecture.maxLength || (config.max_position_embeddings ?? config.n_positions);
  if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 1)
    throw new TlcError('MODEL_INVALID', `${folder}: no maximum length in tlc.json or config.json`);
  const entry =
    variant === undefined
      ? (tlc.variants.find((v) => v.name === 'fp32') ?? tlc.variants[0])
      : tlc.variants.find((v) => v.name === variant);
  if (entry === undefined)
    throw new TlcError(
      'MODEL_INVALID',
      `${folder}: no variant "${variant ?? 'fp32'}" (has ${tlc.variants.map((v) => v.name).join(', ')})`,
    );
  const files = variantFiles(entry.files, `${folder} variant ${entry.name}`);
  for (const f of graphList(files))
    if (!existsSync(join(folder, f))) throw new TlcError('MODEL_INVALID', `${folder}: ${f} is missing`);
  return {
    bos: ids.bos,
    eos: ids.eos,
    pad: ids.pad,
    decoderStart: ids.decoderStart,
    maxLength,
    variant: entry.name,
    files: { encoder: join(folder, files.encoder), decoders: files.decoders.map((f) => join(folder, f)) },
  };
}
