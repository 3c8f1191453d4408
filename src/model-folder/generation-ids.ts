/**
 * The token ids an encoder-decoder generates with, read as Hugging Face's GenerationConfig reads them:
 * generation_config.json first, then config.json. The decoder starts from `decoder_start_token_id` (falling back
 * to `bos_token_id`); T5-family configs have no `bos_token_id` at all and must not be refused for it (issue 28),
 * since generation never feeds a BOS to the decoder.
 */
import { join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { readHfConfig } from './hf-facts.js';

export interface GenerationIds {
  /** The decoder's first input token. */
  readonly decoderStart: number;
  /** End of a hypothesis (the first of a list, as generation_config.json may give several). */
  readonly eos: number;
  readonly pad: number;
  /** `bos_token_id`, or `decoderStart` where the family has none (T5): generation does not read it. */
  readonly bos: number;
}

type Json = Readonly<Record<string, unknown>>;

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** A key's id from the first file that has it; an id list (eos_token_id: [1, 2]) gives its first. */
function idOf(files: readonly Json[], key: string): number | undefined {
  for (const file of files) {
    const v = file[key];
    if (isId(v)) return v;
    if (Array.isArray(v) && v.length > 0 && v.every(isId)) return v[0] as number;
  }
  return undefined;
}

/** Generation ids of the model folder `dir`, each checked against `vocabSize` ids (0: unknown, not checked). */
export function generationIds(dir: string, vocabSize = 0): GenerationIds {
  const files = [
    readHfConfig(join(dir, 'generation_config.json')) ?? {},
    readHfConfig(join(dir, 'config.json')) ?? {},
  ];
  const where = `${dir}: generation_config.json (or config.json)`;
  const required = (key: string, value: number | undefined): number => {
    if (value === undefined) throw new TlcError('MODEL_INVALID', `${where} has no ${key}`);
    if (vocabSize > 0 && value >= vocabSize)
      throw new TlcError(
        'MODEL_INVALID',
        `${where}: ${key} ${value} is outside the model's ${vocabSize} token ids`,
      );
    return value;
  };
  const decoderStart = required(
    'decoder_start_token_id (or bos_token_id)',
    idOf(files, 'decoder_start_token_id') ?? idOf(files, 'bos_token_id'),
  );
  return {
    decoderStart,
    eos: required('eos_token_id', idOf(files, 'eos_token_id')),
    pad: required('pad_token_id', idOf(files, 'pad_token_id')),
    bos: required('bos_token_id', idOf(files, 'bos_token_id') ?? decoderStart),
  };
}
