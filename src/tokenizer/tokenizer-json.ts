/**
 * The Hugging Face files for a trained model: `tokenizer.json` (the schema HF tokenizers ≥ 0.13 writes for
 * RoBERTa; read by the Rust/Python library, transformers' `PreTrainedTokenizerFast` and tokenizers.js) and
 * `tokenizer_config.json` (what transformers needs to pick the tokenizer class and its special tokens).
 * Also the way back: a `tokenizer.json` as a `BpeModel`, for TLC's own encoder.
 */
import { TlcError } from '../errors/index.js';
import { BYTE_TO_CHAR } from './byte-level.js';
import { type BpeModel, ROBERTA_ROLES, SPECIAL_ROLES, type SpecialRole } from './model.js';

export interface AddedTokenJson {
  readonly id: number;
  readonly content: string;
  readonly single_word: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly normalized: boolean;
  readonly special: boolean;
}

/** HF's `ByteLevel`: one struct serves as pre-tokenizer and decoder. */
export interface ByteLevelJson {
  readonly type: 'ByteLevel';
  readonly add_prefix_space: boolean;
  readonly trim_offsets: boolean;
  readonly use_regex: boolean;
}

export interface RobertaProcessingJson {
  readonly type: 'RobertaProcessing';
  readonly sep: readonly [string, number];
  readonly cls: readonly [string, number];
  readonly trim_offsets: boolean;
  readonly add_prefix_space: boolean;
}

export interface BpeModelJson {
  readonly type: 'BPE';
  readonly dropout: null;
  readonly unk_token: null;
  readonly continuing_subword_prefix: null;
  readonly end_of_word_suffix: null;
  readonly fuse_unk: false;
  readonly byte_fallback: false;
  readonly ignore_merges: false;
  readonly vocab: Readonly<Record<string, number>>;
  readonly merges: readonly string[];
}

export interface TokenizerJson {
  readonly version: '1.0';
  readonly truncation: null;
  readonly padding: null;
  readonly added_tokens: readonly AddedTokenJson[];
  readonly normalizer: null;
  readonly pre_tokenizer: ByteLevelJson;
  readonly post_processor: RobertaProcessingJson;
  readonly decoder: ByteLevelJson;
  readonly model: BpeModelJson;
}

export interface TokenizerConfigJson {
  readonly add_prefix_space: false;
  readonly added_tokens_decoder: Readonly<Record<string, Omit<AddedTokenJson, 'id'>>>;
  readonly bos_token: string;
  readonly clean_up_tokenization_spaces: false;
  readonly cls_token: string;
  readonly eos_token: string;
  readonly errors: 'replace';
  readonly mask_token: string;
  readonly model_max_length: number;
  readonly pad_token: string;
  readonly sep_token: string;
  readonly tokenizer_class: 'RobertaTokenizer';
  readonly trim_offsets: true;
  readonly unk_token: string;
}

export interface TokenizerFilesOptions {
  /** Which special token plays each role (default RoBERTa's). Each must be one of the model's special tokens. */
  readonly roles?: Partial<Readonly<Record<SpecialRole, string>>>;
}

export interface TokenizerConfigOptions extends TokenizerFilesOptions {
  /** Longest input the model accepts, in tokens (default 512, RoBERTa's). */
  readonly modelMaxLength?: number;
}

const BYTE_LEVEL: ByteLevelJson = Object.freeze({
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: true,
});

function resolveRoles(model: BpeModel, options: TokenizerFilesOptions): Record<SpecialRole, string> {
  const roles = { ...ROBERTA_ROLES, ...options.roles };
  for (const role of SPECIAL_ROLES) {
    if (!model.specialTokens.includes(roles[role]))
      throw new TlcError(
        'CONFIG_INVALID',
        `the ${role} token '${roles[role]}' is not one of the special tokens (${model.specialTokens.join(' ')}); ` +
          'pass it in specialTokens when training or choose another in roles',
      );
  }
  return roles;
}

function idOf(model: BpeModel, token: string): number {
  const id = model.vocab.get(token);
  if (id === undefined) throw new TlcError('TOKENIZER_FAILED', `token '${token}' is not in the vocabulary`);
  return id;
}

function addedTokens(model: BpeModel, roles: Record<SpecialRole, string>): AddedTokenJson[] {
  return model.specialTokens.map((content) => ({
    id: idOf(model, content),
    content,
    single_word: false,
    // RoBERTa's <mask> absorbs the space before it: "Hello <mask>" → "Hello" <mask>, and the model predicts
    // the word with its leading space ("Ġworld").
    lstrip: content === roles.mask,
    rstrip: false,
    normalized: false,
    special: true,
  }));
}

/** The `tokenizer.json` object for `model` (a byte-level BPE with RoBERTa's post-processor). */
export function toTokenizerJson(model: BpeModel, options: TokenizerFilesOptions = {}): TokenizerJson {
  const roles = resolveRoles(model, options);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens(model, roles),
    normalizer: null,
    pre_tokenizer: BYTE_LEVEL,
    post_processor: {
      type: 'RobertaProcessing',
      sep: [roles.eos, idOf(model, roles.eos)],
      cls: [roles.bos, idOf(model, roles.bos)],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      // Every byte has a token, so nothing is ever unknown (RoBERTa's tokenizer.json has no unk_token either).
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      // fromEntries defines own properties, so a learned token such as "__proto__" stays an ordinary key.
      vocab: Object.fromEntries(model.tokens.map((t, i) => [t, i])),
      // "left right" strings: the format every HF tokenizers release reads (pairs need ≥ 0.20). Unambiguous
      // here because no byte-level symbol is a space (0x20 is `Ġ`).
      merges: model.merges.map(([l, r]) => `${l} ${r}`),
    },
  };
}

/** The `tokenizer_config.json` object: RoBERTa's, with clean-up off so decode(encode(text)) is text. */
export function toTokenizerConfig(
  model: BpeModel,
  options: TokenizerConfigOptions = {},
): TokenizerConfigJson {
  const roles = resolveRoles(model, options);
  const modelMaxLength = options.modelMaxLength ?? 512;
  if (!Number.isInteger(modelMaxLength) || modelMaxLength < 3)
    throw new TlcError('CONFIG_INVALID', `modelMaxLength must be an integer ≥ 3, got ${modelMaxLength}`);
  return {
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(
      addedTokens(model, roles).map(({ id, ...token }) => [String(id), token]),
    ),
    bos_token: roles.bos,
    clean_up_tokenization_spaces: false,
    cls_token: roles.bos,
    eos_token: roles.eos,
    errors: 'replace',
    mask_token: roles.mask,
    model_max_length: modelMaxLength,
    pad_token: roles.pad,
    sep_token: roles.eos,
    tokenizer_class: 'RobertaTokenizer',
    trim_offsets: true,
    unk_token: roles.unk,
  };
}

const VOCAB_SLOT = '\u0000vocab\u0000';

/**
 * `tokenizer.json` as text, indented like HF's `save(pretty=True)`, with the vocabulary in id order (a plain
 * `JSON.stringify` would move integer-like tokens such as "18" to the front).
 */
export function stringifyTokenizerJson(json: TokenizerJson): string {
  const text = JSON.stringify({ ...json, model: { ...json.model, vocab: VOCAB_SLOT } }, null, 2);
  const entries = Object.entries(json.model.vocab).sort((a, b) => a[1] - b[1]);
  const vocab = `{\n${entries.map(([t, id]) => `      ${JSON.stringify(t)}: ${id}`).join(',\n')}\n    }`;
  return `${text.replace(JSON.stringify(VOCAB_SLOT), () => vocab)}\n`;
}

function fail(message: string): never {
  throw new TlcError('TOKENIZER_FAILED', `tokenizer.json: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a byte-level BPE `tokenizer.json` (TLC's or a GPT-2/RoBERTa-style one from the Hub) as a `BpeModel`.
 * Throws TOKENIZER_FAILED when it is another kind of tokenizer, or has added tokens with other flags than
 * RoBERTa's, which TLC's encoder would get wrong.
 */
export function bpeModelFromTokenizerJson(json: unknown): BpeModel {
  if (!isObject(json)) fail('not a JSON object');
  const { model, pre_tokenizer: pre, normalizer, added_tokens: added } = json;
  if (!isObject(model) || model.type !== 'BPE') fail('model.type is not "BPE"');
  if (normalizer !== null && normalizer !== undefined)
    fail('has a normalizer; TLC encodes byte-level BPE only');
  if (!isObject(pre) || pre.type !== 'ByteLevel' || pre.use_regex === false || pre.add_prefix_space === true)
    fail('pre_tokenizer is not ByteLevel(add_prefix_space: false, use_regex: true)');
  if (!isObject(model.vocab)) fail('model.vocab is not an object');
  // Added tokens may sit outside model.vocab (tokens added after training); together they must be ids 0…n-1.
  const byId = new Map<number, string>();
  const place = (token: string, id: unknown) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) fail(`'${token}' has id ${String(id)}`);
    const other = byId.get(id);
    if (other !== undefined && other !== token) fail(`id ${id} is both '${other}' and '${token}'`);
    byId.set(id, token);
  };
  for (const [token, id] of Object.entries(model.vocab)) place(token, id);
  const specialTokens: string[] = [];
  if (Array.isArray(added)) {
    for (const t of added) {
      if (!isObject(t) || typeof t.content !== 'string') fail('an added_tokens entry has no content');
      place(t.content, t.id);
      // TLC's encoder cuts out special tokens with RoBERTa's flags (only the mask token strips, to its left).
      const lstrip = t.content === ROBERTA_ROLES.mask;
      if (t.special !== true || t.single_word === true || t.rstrip === true || (t.lstrip === true) !== lstrip)
        fail(
          `added token '${t.content}' has flags TLC's encoder does not reproduce (special, lstrip, rstrip)`,
        );
      specialTokens.push(t.content);
    }
  }
  const tokens: string[] = [];
  for (let id = 0; id < byId.size; id++) {
    const token = byId.get(id);
    if (token === undefined) fail(`ids are not 0…${byId.size - 1}: ${id} is missing`);
    tokens.push(token);
  }
  if (!Array.isArray(model.merges)) fail('model.merges is not an array');
  const merges = model.merges.map((m: unknown, i): readonly [string, string] => {
    if (typeof m === 'string') {
      const space = m.indexOf(' ');
      if (space > 0 && space < m.length - 1) return [m.slice(0, space), m.slice(space + 1)];
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string')
      return [m[0], m[1]];
    return fail(`model.merges[${i}] is neither "left right" nor ["left", "right"]`);
  });
  const vocab = new Map(tokens.map((t, i) => [t, i]));
  if (vocab.size !== tokens.length) fail('a token has two ids');
  for (const c of BYTE_TO_CHAR) if (!vocab.has(c)) fail(`byte symbol '${c}' is missing from model.vocab`);
  return { tokens, vocab, merges, specialTokens };
}
