/**
 * A tokenizer.json alone (no tokenizer_config.json) still names its special tokens: BERT's `[MASK]`, `[CLS]`…
 * are found among its special added tokens (issue 28: such a BERT folder was refused for "no mask token").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Tokenizer } from '../../src/tokenizer/index.js';
import { rolesFromTokenizerJson } from '../../src/tokenizer/special-roles.js';
import { writeBertTokenizer } from '../helpers/foreign.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-special-roles-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('special roles from tokenizer.json', () => {
  it("finds BERT's specials without tokenizer_config.json", async () => {
    writeBertTokenizer(dir);
    rmSync(join(dir, 'tokenizer_config.json'));
    const tokenizer = await Tokenizer.fromFile(join(dir, 'tokenizer.json'));
    const id = (t: string) => tokenizer.tokenToId(t);
    assert.deepEqual(tokenizer.specialIds, {
      bos: id('[CLS]'),
      eos: id('[SEP]'),
      pad: id('[PAD]'),
      unk: id('[UNK]'),
      mask: id('[MASK]'),
    });
    assert.equal(tokenizer.specialIds.mask, 4);
  });

  it('reads only special added tokens, and the model’s unk_token', () => {
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(rolesFromTokenizerJson(json), {
      bos: '[CLS]',
      eos: '[SEP]',
      pad: '[PAD]',
      unk: '[UNK]',
      mask: '[MASK]',
    });
    const plain = {
      added_tokens: [{ id: 7, content: '[MASK]', special: false }],
      model: { unk_token: '<unk>' },
    };
    assert.deepEqual(rolesFromTokenizerJson(plain), { unk: '<unk>' });
    assert.deepEqual(rolesFromTokenizerJson({}), {});
  });
});
