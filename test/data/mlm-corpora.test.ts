/** Built-in English corpora: sizes, clean-up, and whole-document splits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { documentsBySplit, loadMlmCorpus } from '../../src/data/mlm-corpora.js';
import { SPLITS } from '../../src/data/split.js';
import type { TextDocument } from '../../src/data/types.js';
import { isTlcError } from '../../src/errors/index.js';

function assertPartition(all: readonly TextDocument[], name: 'sotu' | 'moby-dick' | 'english'): void {
  const parts = SPLITS.map((s) => loadMlmCorpus(name, s));
  const ids = parts.flatMap((p) => p.map((d) => d.id));
  assert.equal(ids.length, all.length, 'every document is in exactly one split');
  assert.deepEqual(new Set(ids), new Set(all.map((d) => d.id)));
  // A document is the unit: its text appears whole in its one split, never cut across two.
  const byId = new Map(all.map((d) => [d.id, d.text]));
  for (const doc of parts.flat()) assert.equal(doc.text, byId.get(doc.id));
}

function assertClean(docs: readonly TextDocument[]): void {
  for (const d of docs) {
    assert.ok(d.text.length > 0, `${d.id} is empty`);
    assert.doesNotMatch(d.text, /\r/, d.id);
    assert.doesNotMatch(d.text, /\n{3,}/, d.id);
    assert.equal(d.text, d.text.trim(), d.id);
  }
}

describe('SOTU', () => {
  const docs = loadMlmCorpus('sotu');

  it('has every address, 1790 to 2021, with unique ids', () => {
    assert.ok(docs.length > 200, `${docs.length} addresses`);
    assert.equal(new Set(docs.map((d) => d.id)).size, docs.length);
    assert.equal(docs[0]!.id, 'sotu:1790-george-washington');
    assert.match(docs[0]!.text, /^Fellow-Citizens of the Senate and House of Representatives/);
    assert.ok(docs.some((d) => d.id === 'sotu:1953-harry-s-truman'));
    assert.ok(docs.some((d) => d.id === 'sotu:1953-dwight-d-eisenhower'));
    assert.ok(docs.every((d) => d.source === 'sotu'));
  });

  it('drops audience reactions and HTML entities', () => {
    assertClean(docs);
    const all = docs.map((d) => d.text).join('\n');
    assert.doesNotMatch(all, /[[(](?:Applause|Laughter)\.?[\])]/i);
    assert.doesNotMatch(all, /&(?:quot|mdash|amp);/);
    assert.match(docs.at(-1)!.text, /Madam Vice President—no President has ever said those words/);
  });

  it('splits whole addresses, about 5% validation and 5% test', () => {
    assertPartition(docs, 'sotu');
    const groups = documentsBySplit(docs);
    for (const s of ['validation', 'test'] as const)
      assert.ok(Math.abs(groups[s].length / docs.length - 0.05) <= 0.02, `${s}: ${groups[s].length}`);
    assert.deepEqual(loadMlmCorpus('sotu', 'test'), groups.test);
  });

  it('is cached: a second load returns the same frozen documents', () => {
    assert.equal(loadMlmCorpus('sotu'), docs);
    assert.ok(Object.isFrozen(docs) && Object.isFrozen(docs[0]));
  });
});

describe('Moby-Dick', () => {
  const docs = loadMlmCorpus('moby-dick');

  it('has 135 chapters plus etymology, extracts and epilogue, and no table of contents', () => {
    const chapters = docs.filter((d) => /^moby-dick:\d+$/.test(d.id));
    assert.equal(chapters.length, 135);
    assert.deepEqual(
      chapters.map((d) => d.id),
      Array.from({ length: 135 }, (_, i) => `moby-dick:${i + 1}`),
    );
    assert.deepEqual(
      docs.filter((d) => !chapters.includes(d)).map((d) => d.id),
      ['moby-dick:etymology', 'moby-dick:extracts', 'moby-dick:epilogue'],
    );
    assert.match(chapters[0]!.text, /^CHAPTER 1\. Loomings\.\n\nCall me Ishmael\./);
    assert.match(docs.at(-1)!.text, /only found another orphan\.$/);
    assert.ok(!docs.some((d) => /^CONTENTS/.test(d.text)));
  });

  it('has no Project Gutenberg boilerplate and clean layout', () => {
    assertClean(docs);
    for (const d of docs) assert.doesNotMatch(d.text, /gutenberg|\*\*\* ?(START|END) OF/i, d.id);
  });

  it('splits whole chapters', () => {
    assertPartition(docs, 'moby-dick');
  });
});

describe('english', () => {
  it('is SOTU followed by Moby-Dick, split the same way as each part', () => {
    const all = loadMlmCorpus('english');
    assert.deepEqual(all, [...loadMlmCorpus('sotu'), ...loadMlmCorpus('moby-dick')]);
    assertPartition(all, 'english');
    assert.deepEqual(loadMlmCorpus('english', 'validation'), [
      ...loadMlmCorpus('sotu', 'validation'),
      ...loadMlmCorpus('moby-dick', 'validation'),
    ]);
  });

  it('takes other fractions, and rejects unknown names and splits', () => {
    const big = loadMlmCorpus('english', 'test', { fractions: { test: 0.5 } });
    assert.ok(big.length > 120 && big.length < 250, `${big.length}`);
    assert.throws(
      () => loadMlmCorpus('wikipedia' as never),
      (e) => isTlcError(e) && e.code === 'CONFIG_INVALID',
    );
    assert.throws(
      () => loadMlmCorpus('sotu', 'dev' as never),
      (e) => isTlcError(e) && e.code === 'CONFIG_INVALID',
    );
  });
});
