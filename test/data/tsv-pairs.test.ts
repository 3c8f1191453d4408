/** TSV translation pairs: parsing, comments, malformed lines by number, and splits by source sentence. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SPLITS } from '../../src/data/split.js';
import { loadTsvPairs, parseTsvPairs } from '../../src/data/tsv-pairs.js';
import { isTlcError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-tsv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function isDataError(pattern: RegExp) {
  return (e: unknown) => isTlcError(e) && e.code === 'DATA_INVALID' && pattern.test(e.message);
}

describe('loadTsvPairs', () => {
  it('reads source<TAB>target lines, skipping blanks and # comments', async () => {
    const path = file(
      'pairs.tsv',
      '\uFEFF# en\tfr\nHello.\tBonjour.\r\n\n   \n  # indented comment\n Thank you. \t Merci. \n',
    );
    const pairs = await loadTsvPairs(path);
    assert.deepEqual(pairs, [
      { id: `${path}:2`, source: 'Hello.', target: 'Bonjour.' },
      { id: `${path}:6`, source: 'Thank you.', target: 'Merci.' },
    ]);
  });

  it('reports the line number of a malformed line', async () => {
    const path = file('bad.tsv', 'a\tb\nc\td\n# note\nno tab here\ne\tf\n');
    await assert.rejects(
      loadTsvPairs(path),
      isDataError(/bad\.tsv: line 4: expected 2 tab-separated fields/),
    );
    assert.throws(() => parseTsvPairs('a\tb\tc\n', 'x.tsv'), isDataError(/x\.tsv: line 1: .*found 3/));
    assert.throws(() => parseTsvPairs('a\tb\n\t b\n', 'x.tsv'), isDataError(/line 2: empty source/));
    assert.throws(() => parseTsvPairs('a\t \n', 'x.tsv'), isDataError(/line 1: empty target/));
    assert.throws(
      () => parseTsvPairs('a\nb\tc\nd\ne\nf\n', 'x.tsv'),
      isDataError(/line 1: .*\(4 malformed lines, also lines 3, 4, 5\)/),
    );
  });

  it('rejects missing and pair-less files', async () => {
    await assert.rejects(loadTsvPairs(join(dir, 'absent.tsv')), isDataError(/absent\.tsv: file not found/));
    await assert.rejects(
      loadTsvPairs(file('comments.tsv', '# only\n\n')),
      isDataError(/no source<TAB>target/),
    );
  });

  it('splits by source sentence: repeated sources share a split, every line lands once', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `sentence ${i % 1000}\tphrase ${i}`);
    const path = file('many.tsv', `${lines.join('\n')}\n`);
    const parts = await Promise.all(SPLITS.map((split) => loadTsvPairs(path, { split })));
    assert.equal(parts.flat().length, 2000);
    const home = new Map<string, number>();
    parts.forEach((part, i) => {
      for (const p of part) {
        assert.equal(home.get(p.source) ?? i, i, `${p.source} straddles splits`);
        home.set(p.source, i);
      }
    });
    for (const part of parts.slice(1)) assert.ok(Math.abs(part.length / 2000 - 0.05) < 0.025);
  });
});
