/**
 * Generation ids of encoder-decoder folders: a T5-family config (no bos_token_id; the decoder starts from
 * decoder_start_token_id, the pad id) is accepted (issue 28), generation_config.json wins over config.json.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generationIds } from '../../src/model-folder/generation-ids.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-generation-ids-'));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, config: object, generation?: object): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  if (generation) writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(generation));
  return dir;
}

describe('generation ids', () => {
  it('accepts a T5 config: no bos_token_id, the decoder starts from decoder_start_token_id', () => {
    // t5-small's config.json and generation_config.json, as published.
    const t5 = {
      model_type: 't5',
      decoder_start_token_id: 0,
      eos_token_id: 1,
      pad_token_id: 0,
      vocab_size: 32128,
    };
    const dir = folder('t5', t5, { decoder_start_token_id: 0, eos_token_id: 1, pad_token_id: 0 });
    assert.deepEqual(generationIds(dir, 32128), { decoderStart: 0, eos: 1, pad: 0, bos: 0 });
  });

  it('reads Marian’s ids, generation_config.json first, an eos list by its first id', () => {
    const marian = { decoder_start_token_id: 58100, bos_token_id: 0, eos_token_id: 0, pad_token_id: 58100 };
    const dir = folder('marian', marian, { eos_token_id: [0, 3] });
    assert.deepEqual(generationIds(dir), { decoderStart: 58100, eos: 0, pad: 58100, bos: 0 });
    // Without decoder_start_token_id the decoder starts from BOS (TLC's own models write both).
    const bosOnly = folder('bos-only', { bos_token_id: 2, eos_token_id: 3, pad_token_id: 1 });
    assert.equal(generationIds(bosOnly).decoderStart, 2);
  });

  it('refuses a folder with neither start id, or an id past the vocabulary, naming the key', () => {
    const none = folder('none', { eos_token_id: 1, pad_token_id: 0 });
    assert.throws(() => generationIds(none), /has no decoder_start_token_id \(or bos_token_id\)/);
    const past = folder('past', { decoder_start_token_id: 0, eos_token_id: 99, pad_token_id: 0 });
    assert.throws(() => generationIds(past, 50), /eos_token_id 99 is outside the model's 50 token ids/);
  });
});
