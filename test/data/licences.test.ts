/** The licence table: one entry per built-in corpus, pinned to the installed package versions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORPUS_LICENCES, corpusLicences } from '../../src/data/licences.js';
import { installedVersion } from '../../src/data/package-data.js';

describe('corpus licences', () => {
  it('pins each package at the installed version (a bump means re-reading its licence)', () => {
    for (const entry of Object.values(CORPUS_LICENCES)) {
      assert.equal(installedVersion(entry.package), entry.version, entry.package);
      assert.ok(entry.attribution.includes(entry.package), `${entry.corpus} attribution names its package`);
      assert.ok(entry.attribution.includes(entry.version), `${entry.corpus} attribution names its version`);
      assert.ok(entry.urls.length > 0 && entry.urls.every((u) => u.startsWith('https://')));
    }
  });

  it('credits the translators and flags the non-commercial terms of the Quran translations', () => {
    const fr = CORPUS_LICENCES['quran-en-fr'];
    assert.match(fr.attribution, /Saheeh International/);
    assert.match(fr.attribution, /Hamidullah/);
    assert.match(CORPUS_LICENCES['quran-en-es'].attribution, /Isa García/);
    assert.match(fr.restrictions ?? '', /non-commercial/);
  });

  it('maps loader names to their entries', () => {
    assert.deepEqual(
      corpusLicences('english').map((l) => l.corpus),
      ['sotu', 'moby-dick'],
    );
    assert.deepEqual(
      corpusLicences('en-es').map((l) => l.corpus),
      ['quran-en-es'],
    );
  });
});
