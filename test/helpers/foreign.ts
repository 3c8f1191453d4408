/**
 * Model folders as other tools write them, built from the PyTorch exports in test/fixtures/torch: Optimum's
 * layout (graph at the root or under onnx/), a Hugging Face config.json, and a BERT-style WordPiece
 * tokenizer.json of any size (the fixtures embed 1,000 ids).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TORCH_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'torch');
export const TORCH_BERT = join(TORCH_FIXTURES, 'torch_bert_mlm_tiny.onnx');
export const TORCH_GPT = join(TORCH_FIXTURES, 'torch_gpt_causal_tiny.onnx');

/** Parameters PyTorch counted for the fixtures (tied head once); the fixture README's table. */
export const TORCH_BERT_PARAMETERS = 177_576;
export const TORCH_GPT_PARAMETERS = 241_576;

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = (
  'the of and to in a is that for it as was with be by on not he this are or his from at which but have an ' +
  'they you were her she there one all we their been has when who will more no if out so said what up its ' +
  'about into than them can only other new some could time these two may then do first any my now such like'
).split(' ');

/** A WordPiece tokenizer.json + tokenizer_config.json with `size` ids, BERT's specials and post-processor. */
export function writeBertTokenizer(dir: string, size = 1000): void {
  const vocab: Record<string, number> = {};
  const add = (token: string) => {
    if (Object.keys(vocab).length < size && !(token in vocab)) vocab[token] = Object.keys(vocab).length;
  };
  for (const t of SPECIALS) add(t);
  for (const w of WORDS) add(w);
  for (let c = 97; c <= 122; c++) add(String.fromCharCode(c));
  for (let c = 97; c <= 122; c++) add(`##${String.fromCharCode(c)}`);
  for (const p of '.,!?;:\'"()-') add(p);
  for (let i = 0; Object.keys(vocab).length < size; i++) add(`w${i}`);
  const added = SPECIALS.map((content) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab['[SEP]']], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
      model_max_length: 128,
    }),
  );
}

export interface ForeignFolderOptions {
  /** Where the graph goes: `model.onnx` at the root (default) or `onnx/model.onnx`. */
  readonly place?: 'root' | 'onnx';
  /** config.json to write (none when undefined). */
  readonly config?: Record<string, unknown>;
  /** tokenizer ids (none when 0). */
  readonly tokenizer?: number;
}

/** Short texts in the words of `writeBertTokenizer`'s vocabulary (no unknown tokens). */
export const BERT_TEXTS: readonly string[] = [
  'the time of his life',
  'she said that it is not here',
  'they have been there by the first one',
  'what could he do',
  'all of them were with her',
  'his first one was about them and the new time',
];

export const BERT_CONFIG = {
  architectures: ['BertForMaskedLM'],
  model_type: 'bert',
  vocab_size: 1000,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 256,
  max_position_embeddings: 128,
  pad_token_id: 0,
  hidden_act: 'gelu',
};

export const GPT_CONFIG = {
  architectures: ['GPT2LMHeadModel'],
  model_type: 'gpt2',
  vocab_size: 1000,
  n_embd: 64,
  n_layer: 2,
  n_head: 4,
  n_positions: 128,
};

/** Writes `dir` as a folder another tool exported: `graph` in Optimum's place, config and tokenizer beside. */
export function writeForeignFolder(dir: string, graph: string, o: ForeignFolderOptions = {}): string {
  const target = o.place === 'onnx' ? join(dir, 'onnx', 'model.onnx') : join(dir, 'model.onnx');
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(graph, target);
  if (o.config !== undefined) writeFileSync(join(dir, 'config.json'), JSON.stringify(o.config));
  if ((o.tokenizer ?? 0) > 0) writeBertTokenizer(dir, o.tokenizer);
  return dir;
}
