/** Saving a trained model as `tokenizer.json` + `tokenizer_config.json`, and reading a `tokenizer.json` back. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import type { BpeModel } from './model.js';
import {
  bpeModelFromTokenizerJson,
  stringifyTokenizerJson,
  type TokenizerConfigOptions,
  toTokenizerConfig,
  toTokenizerJson,
} from './tokenizer-json.js';

/** Writes both files into `dir` (created if needed); returns their paths. */
export async function writeTokenizerFiles(
  dir: string,
  model: BpeModel,
  options: TokenizerConfigOptions = {},
): Promise<{ tokenizerJson: string; tokenizerConfig: string }> {
  const tokenizerJson = join(dir, 'tokenizer.json');
  const tokenizerConfig = join(dir, 'tokenizer_config.json');
  const json = stringifyTokenizerJson(toTokenizerJson(model, options));
  const config = `${JSON.stringify(toTokenizerConfig(model, options), null, 2)}\n`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tokenizerJson, json, 'utf8');
    await writeFile(tokenizerConfig, config, 'utf8');
  } catch (error) {
    throw new TlcError('TOKENIZER_FAILED', `${dir}: cannot write the tokenizer files (${messageOf(error)})`, {
      cause: error,
    });
  }
  return { tokenizerJson, tokenizerConfig };
}

/** A byte-level BPE `tokenizer.json` file as a `BpeModel` (for `MergeEncoder`). */
export async function readTokenizerModel(path: string): Promise<BpeModel> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    throw new TlcError('TOKENIZER_FAILED', `${path}: cannot read (${messageOf(error)})`, { cause: error });
  }
  try {
    return bpeModelFromTokenizerJson(json);
  } catch (error) {
    if (error instanceof TlcError)
      throw new TlcError(error.code, `${path}: ${error.message}`, { cause: error });
    throw error;
  }
}
