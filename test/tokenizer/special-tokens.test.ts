/** Special tokens: RoBERTa's ids, <mask> as one token, the post-processor, the config file, loading from disk. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TlcError } from '../../src/errors/index.js';
import {
  readTokenizerModel,
  Tokenizer,
  toTokenizerConfig,
  toTokenizerJson,
  trainBpe,
  writeTokenizerFiles,
} from '../../src/tokenizer/index.js';
import { mobyModel } from './trained.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-tokenizer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('special tokens', () => {
  const model = mobyModel(2000);
  const tokenizer = Tokenizer.fromModel(model);
  const plain = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });

  it('are ids 0–4 in RoBERTa order, then the 256 byte symbols', () => {
    assert.deepEqual(
      ['<s>', '<pad>', '</s>', '<unk>', '<mask>'].map((t) => tokenizer.tokenToId(t)),
      [0, 1, 2, 3, 4],
    );
    assert.deepEqual(tokenizer.specialIds, { bos: 0, eos: 2, pad: 1, unk: 3, mask: 4 });
    assert.equal(tokenizer.specialId('mask'), 4);
    assert.equal(tokenizer.idToToken(5), '!');
    assert.equal(tokenizer.idToToken(4 + 256), 'Ń');
    assert.equal(tokenizer.vocabSize, 2000);
  });

  it('encode "Hello <mask> world" with <mask> as the single id 4, taking the space before it', () => {
    const ids = plain('Hello <mask> world');
    assert.equal(ids.filter((id) => id === 4).length, 1);
    const at = ids.indexOf(4);
    assert.deepEqual(ids.slice(0, at), plain('Hello'));
    assert.deepEqual(ids.slice(at + 1), plain(' world'));
    assert.equal(tokenizer.idToToken(ids[at + 1]!), 'Ġworld');
  });

  it('wrap one text as <s> … </s> and a pair as <s> A </s></s> B </s>', () => {
    const a = plain('Call me Ishmael.');
    const b = plain('Some years ago.');
    assert.deepEqual(tokenizer.encode('Call me Ishmael.'), [0, ...a, 2]);
    assert.deepEqual(tokenizer.encodePair('Call me Ishmael.', 'Some years ago.'), [0, ...a, 2, 2, ...b, 2]);
    assert.deepEqual(
      tokenizer.encodePair('Call me Ishmael.', 'Some years ago.', { addSpecialTokens: false }),
      [...a, ...b],
    );
    assert.deepEqual(tokenizer.encodePair('Call me Ishmael.', ''), [0, ...a, 2, 2, 2]);
    assert.deepEqual(tokenizer.encode(''), [0, 2]);
  });

  it('are kept or skipped when decoding', () => {
    const ids = tokenizer.encodePair('Hello', 'world');
    assert.equal(tokenizer.decode(ids), '<s>Hello</s></s>world</s>');
    assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), 'Helloworld');
    assert.equal(tokenizer.decode([]), '');
  });

  it('refuse to decode ids outside the vocabulary', () => {
    for (const bad of [-1, 2000, 1.5, Number.NaN])
      assert.throws(
        () => tokenizer.decode([5, bad]),
        (e: unknown) => e instanceof TlcError && e.code === 'TOKENIZER_FAILED',
      );
  });

  it('are written to tokenizer.json as HF writes RoBERTa’s', () => {
    const json = toTokenizerJson(model);
    assert.deepEqual(
      json.added_tokens.map((t) => [
        t.id,
        t.content,
        t.special,
        t.lstrip,
        t.rstrip,
        t.normalized,
        t.single_word,
      ]),
      [
        [0, '<s>', true, false, false, false, false],
        [1, '<pad>', true, false, false, false, false],
        [2, '</s>', true, false, false, false, false],
        [3, '<unk>', true, false, false, false, false],
        [4, '<mask>', true, true, false, false, false],
      ],
    );
    assert.deepEqual(json.post_processor, {
      type: 'RobertaProcessing',
      sep: ['</s>', 2],
      cls: ['<s>', 0],
      trim_offsets: true,
      add_prefix_space: false,
    });
    assert.deepEqual(json.pre_tokenizer, {
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    });
    assert.equal(json.decoder.type, 'ByteLevel');
    assert.equal(json.normalizer, null);
    assert.equal(json.model.type, 'BPE');
    assert.equal(json.model.unk_token, null);
    assert.equal(json.model.byte_fallback, false);
    assert.equal(Object.keys(json.model.vocab).length, 2000);
    assert.equal(json.model.merges.length, 2000 - 261);
    assert.ok(json.model.merges.every((m) => m.split(' ').length === 2));
  });

  it('are named in tokenizer_config.json', () => {
    const config = toTokenizerConfig(model, { modelMaxLength: 256 });
    assert.equal(config.tokenizer_class, 'RobertaTokenizer');
    assert.equal(config.model_max_length, 256);
    assert.deepEqual(
      [config.bos_token, config.eos_token, config.pad_token, config.unk_token, config.mask_token],
      ['<s>', '</s>', '<pad>', '<unk>', '<mask>'],
    );
    assert.deepEqual([config.cls_token, config.sep_token], ['<s>', '</s>']);
    assert.equal(config.clean_up_tokenization_spaces, false);
    assert.deepEqual(Object.keys(config.added_tokens_decoder), ['0', '1', '2', '3', '4']);
    assert.equal(config.added_tokens_decoder['4']?.lstrip, true);
  });

  it('survive writing the files and loading the folder', async () => {
    const folder = join(dir, 'model');
    const paths = await writeTokenizerFiles(folder, model);
    const text = readFileSync(paths.tokenizerJson, 'utf8');
    // The vocabulary is written in id order, as HF writes it (JSON.parse would move "0"… "9" to the front).
    const vocabText = text.slice(text.indexOf('"vocab": {'), text.indexOf('"merges": ['));
    const written = [...vocabText.matchAll(/^ {6}".*": (\d+),?$/gm)].map((m) => Number(m[1]));
    assert.deepEqual(
      written,
      model.tokens.map((_, id) => id),
    );
    assert.ok(text.indexOf('"<mask>": 4') < text.indexOf('"!": 5'));
    const loaded = await Tokenizer.fromFile(folder);
    assert.deepEqual(loaded.encode('Hello <mask> world'), tokenizer.encode('Hello <mask> world'));
    assert.deepEqual(loaded.specialIds, tokenizer.specialIds);
    const back = await readTokenizerModel(paths.tokenizerJson);
    assert.deepEqual(back.tokens, model.tokens);
  });

  it('can play other roles, and a role without a token is refused', () => {
    const custom = trainBpe(['hello world'], {
      vocabSize: 270,
      specialTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
    });
    const roles = { bos: '[CLS]', eos: '[SEP]', pad: '[PAD]', unk: '[UNK]', mask: '[MASK]' };
    const t = Tokenizer.fromModel(custom, { roles });
    assert.deepEqual(t.specialIds, { bos: 2, eos: 3, pad: 0, unk: 1, mask: 4 });
    assert.deepEqual(t.encode('hello'), [2, ...t.encode('hello', { addSpecialTokens: false }), 3]);
    assert.throws(
      () => toTokenizerJson(custom),
      (e: unknown) => e instanceof TlcError && e.code === 'CONFIG_INVALID' && /'<s>'/.test(e.message),
    );
  });

  it('loading reports a bad file with a code and the path', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"model": {"type": "BPE"');
    await assert.rejects(Tokenizer.fromFile(bad), (e: unknown) => {
      return e instanceof TlcError && e.code === 'TOKENIZER_FAILED' && e.message.includes(bad);
    });
    await assert.rejects(Tokenizer.fromFile(join(dir, 'missing')), (e: unknown) => {
      return e instanceof TlcError && e.code === 'TOKENIZER_FAILED';
    });
    assert.throws(
      () => Tokenizer.fromJson({ model: { type: 'Nope' } }),
      (e: unknown) => e instanceof TlcError && e.code === 'TOKENIZER_FAILED',
    );
  });
});
