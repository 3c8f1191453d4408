/**
 * The v2 raw path's checks of the standard extra inputs: `token_type_ids` below the segment table's rows and
 * `position_ids` below the position table's, both read from config.json (type_vocab_size defaults to BertConfig's 2).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { checkRawValues, embeddingRows } from '../../src/server/raw-admission.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-raw-standard-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const limits = { maxRows: 8, maxLength: 16, vocabSize: 100, segments: 2, positions: 16 };
const row = (name: string, values: number[]) => ({
  [name]: { data: BigInt64Array.from(values, BigInt), dims: [1, values.length] },
});

describe('raw standard inputs', () => {
  it('takes segments and positions inside their tables', () => {
    checkRawValues({ ...row('input_ids', [5, 6, 7]), ...row('token_type_ids', [0, 1, 1]) }, limits);
    checkRawValues(row('position_ids', [0, 1, 15]), limits);
  });

  it('refuses a segment or a position past its table, naming the value', () => {
    assert.throws(
      () => checkRawValues(row('token_type_ids', [0, 2]), limits),
      (e: Error & { code?: string }) =>
        e.code === 'INPUT_INVALID' &&
        /value 2 at 1 is not a token type id \(segment\) \(0 to 1\)/.test(e.message),
    );
    assert.throws(() => checkRawValues(row('position_ids', [16]), limits), /not a position id \(0 to 15\)/);
    assert.throws(() => checkRawValues(row('token_type_ids', [-1]), limits), /not a token type id/);
  });

  it('reads the tables from config.json', () => {
    assert.deepEqual(embeddingRows(dir), { segments: 0, positions: 0 }, 'no config.json: unchecked');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ model_type: 'bert', max_position_embeddings: 128 }),
    );
    assert.deepEqual(embeddingRows(dir), { segments: 2, positions: 128 });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ type_vocab_size: 1, max_position_embeddings: 514 }),
    );
    assert.deepEqual(embeddingRows(dir), { segments: 1, positions: 514 });
    writeFileSync(join(dir, 'config.json'), '{ not json');
    assert.deepEqual(embeddingRows(dir), { segments: 0, positions: 0 });
  });
});
