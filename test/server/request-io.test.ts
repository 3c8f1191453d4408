/** Truncation as requested with `parameters.truncation`: the first ids, and the closing token kept. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { truncateIds } from '../../src/tokenizer/truncate.js';

describe('truncateIds', () => {
  it('keeps inputs within the limit as they are', () => {
    const ids = Int32Array.from([0, 5, 6, 2]);
    assert.equal(truncateIds(ids, 4, 2), ids);
  });

  it('cuts to the limit and keeps the closing token', () => {
    assert.deepEqual([...truncateIds(Int32Array.from([0, 5, 6, 7, 8, 2]), 4, 2)], [0, 5, 6, 2]);
  });

  it('cuts plainly when the input does not end with the closing token', () => {
    assert.deepEqual([...truncateIds(Int32Array.from([5, 6, 7, 8]), 3, 2)], [5, 6, 7]);
    assert.deepEqual([...truncateIds(Int32Array.from([5, 6, 7, 8]), 3, undefined)], [5, 6, 7]);
  });
});
