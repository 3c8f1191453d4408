/** The public surface loads nothing until asked, and a first full SOTU load stays within a few seconds. */
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

  it('loads all of SOTU in under 5 s on first use, then from the cache', () => {
    const t0 = performance.now();
    const docs = data.loadMlmCorpus('sotu');
    const first = performance.now() - t0;
    assert.ok(first < 5000, `first load took ${first.toFixed(0)} ms`);
    assert.ok(loadedPackages().some((k) => k.includes('datasets-sotu')));
    const t1 = performance.now();
    assert.equal(data.loadMlmCorpus('sotu'), docs);
    assert.ok(performance.now() - t1 < 50);
  });
});
