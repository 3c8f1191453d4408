/**
 * The public surface loads nothing until asked, and a corpus is read once then served from the cache (its load
 * time is a figure of `npm run bench:tokenizer`, not a test).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import * as data from '../../src/data/index.js';

const loadedPackages = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((k) =>
    /datasets-sotu|datasets-moby-dick|quran-json/.test(k),
  );

describe('src/data', () => {
  it('reads no corpus package on import', () => {
    assert.deepEqual(loadedPackages(), []);
  });

  it('reads SOTU on first use, then answers from the cache', () => {
    const docs = data.loadMlmCorpus('sotu');
    assert.ok(docs.length > 200, `${docs.length} documents`);
    assert.ok(loadedPackages().some((k) => k.includes('datasets-sotu')));
    assert.equal(data.loadMlmCorpus('sotu'), docs, 'the same array, not a second read');
  });
});
