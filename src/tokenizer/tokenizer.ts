/**
 * The tokenizer TLC runs with: a thin wrapper over @huggingface/tokenizers (tokenizers.js), the library
 * transformers.js uses, loading any HF `tokenizer.json` — TLC's own or one from an exported model folder.
 * The wrapper fixes what TLC relies on: decode(encode(text)) === text (clean-up of " ." and " 's" is off unless
 * tokenizer_config.json turns it on), ids are validated, an empty id list decodes to "", and pairs with an empty
 * second text keep their separators.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { messageOf, TlcError } from '../errors/index.js';
import { type BpeModel, ROBERTA_ROLES, SPECIAL_ROLES, type SpecialRole } from './model.js';
import { rolesFromTokenizerJson } from './special-roles.js';
import { type TokenizerConfigOptions, toTokenizerConfig, toTokenizerJson } from './tokenizer-json.js';

export interface EncodeOptions {
  /** Add the post-processor's tokens (`<s> … </s>` for RoBERTa); default true. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (`<s>`, `</s>`, `<pad>`, …) from the text; default false. */
  readonly skipSpecialTokens?: boolean;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `tokenizer_config.json` names special tokens as strings or as AddedToken objects (`{ content, … }`). */
function configToken(config: JsonObject, key: string): string | undefined {
  const value = config[key];
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/** Config keys naming each role, in order of preference (BERT-style files name CLS/SEP, not BOS/EOS). */
const ROLE_KEYS: Readonly<Record<SpecialRole, readonly string[]>> = {
  bos: ['bos_token', 'cls_token'],
  eos: ['eos_token', 'sep_token'],
  pad: ['pad_token'],
  unk: ['unk_token'],
  mask: ['mask_token'],
};

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TlcError('TOKENIZER_FAILED', `${path}: cannot read (${messageOf(error)})`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TlcError('TOKENIZER_FAILED', `${path}: not JSON (${messageOf(error)})`, { cause: error });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export class Tokenizer {
  /** Number of ids (the model's vocabulary and the added tokens). */
  readonly vocabSize: number;
  /** The id of each special role's token; undefined where the tokenizer has none (GPT-2 has no mask). */
  readonly specialIds: Readonly<Record<SpecialRole, number | undefined>>;

  private constructor(
    private readonly hf: HfTokenizer,
    config: JsonObject,
    tokenizerJson: JsonObject,
  ) {
    this.vocabSize = hf.get_vocab(true).size;
    const ids: Partial<Record<SpecialRole, number>> = {};
    const added = rolesFromTokenizerJson(tokenizerJson);
    for (const role of SPECIAL_ROLES) {
      // tokenizer_config.json decides; without it, tokenizer.json's special added tokens; else RoBERTa's.
      const named = ROLE_KEYS[role].map((key) => configToken(config, key)).find((t) => t !== undefined);
      const id = hf.token_to_id(named ?? added[role] ?? ROBERTA_ROLES[role]);
      if (id !== undefined) ids[role] = id;
    }
    this.specialIds = Object.freeze({
      bos: ids.bos,
      eos: ids.eos,
      pad: ids.pad,
      unk: ids.unk,
      mask: ids.mask,
    });
  }

  /** From parsed `tokenizer.json` (and optionally `tokenizer_config.json`) objects. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}): Tokenizer {
    if (!isObject(tokenizerJson))
      throw new TlcError('TOKENIZER_FAILED', 'tokenizer.json is not a JSON object');
    if (!isObject(tokenizerConfig))
      throw new TlcError('TOKENIZER_FAILED', 'tokenizer_config.json is not a JSON object');
    // Exact round trips: tokenizers.js would otherwise default to transformers' old clean-up (" ." → ".").
    const config = { clean_up_tokenization_spaces: false, ...tokenizerConfig };
    let hf: HfTokenizer;
    try {
      hf = new HfTokenizer(tokenizerJson, config);
    } catch (error) {
      throw new TlcError('TOKENIZER_FAILED', `tokenizer.json cannot be loaded: ${messageOf(error)}`, {
        cause: error,
      });
    }
    return new Tokenizer(hf, config, tokenizerJson);
  }

  /** For a freshly trained model, through the same files it would be saved as. */
  static fromModel(model: BpeModel, options: TokenizerConfigOptions = {}): Tokenizer {
    return Tokenizer.fromJson(toTokenizerJson(model, options), toTokenizerConfig(model, options));
  }

  /**
   * From a `tokenizer.json` file or a model folder holding one; `tokenizer_config.json` beside it is read when
   * present.
   */
  static async fromFile(path: string): Promise<Tokenizer> {
    let file = path;
    try {
      if ((await stat(path)).isDirectory()) file = join(path, 'tokenizer.json');
    } catch (error) {
      throw new TlcError('TOKENIZER_FAILED', `${path}: cannot read (${messageOf(error)})`, { cause: error });
    }
    const configFile = join(dirname(file), 'tokenizer_config.json');
    const json = await readJson(file);
    const config = (await exists(configFile)) ? await readJson(configFile) : {};
    try {
      return Tokenizer.fromJson(json, config);
    } catch (error) {
      if (error instanceof TlcError)
        throw new TlcError(error.code, `${file}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** The id of a special role's token; throws TOKENIZER_FAILED when the tokenizer has none. */
  specialId(role: SpecialRole): number {
    const id = this.specialIds[role];
    if (id === undefined) throw new TlcError('TOKENIZER_FAILED', `the tokenizer has no ${role} token`);
    return id;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** Two texts as one input: `<s> A </s></s> B </s>` for RoBERTa. */
  encodePair(text: string, pair: string, options: EncodeOptions = {}): number[] {
    // tokenizers.js treats an empty second text as none (`text_pair || null`); run its post-processor here
    // with both token lists so "" still gets its separators, as in the Rust library.
    const first = this.hf.tokenize(text, { add_special_tokens: false });
    const second = this.hf.tokenize(pair, { add_special_tokens: false });
    const add = options.addSpecialTokens ?? true;
    const processor = this.hf.post_processor;
    let tokens: string[];
    if (processor === null) tokens = [...first, ...second];
    else {
      const out = processor.post_process(first, second, add);
      // ByteLevel's post-processor hands the pair back separately instead of appending it.
      tokens = out.tokens_pair ? [...out.tokens, ...out.tokens_pair] : out.tokens;
    }
    return tokens.map((t) => {
      const id = this.hf.token_to_id(t);
      if (id === undefined) throw new TlcError('TOKENIZER_FAILED', `token '${t}' has no id`);
      return id;
    });
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const list = Array.from(ids);
    for (const id of list)
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
        throw new TlcError(
          'TOKENIZER_FAILED',
          `cannot decode id ${id}: the vocabulary has ids 0…${this.vocabSize - 1}`,
        );
    // tokenizers.js refuses an empty list.
    if (list.length === 0) return '';
    return this.hf.decode(list, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }
}
