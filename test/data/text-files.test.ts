/** User text files as MLM documents: cutting rules, clean-up, and errors that name the file. */

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadTextFiles } from '../../src/data/text-files.js';
import { isTlcError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-text-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const paragraphs = (n: number) => Array.from({ length: n }, (_, i) => `Paragraph ${i + 1}.`);

function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  return assert.rejects(promise, (e) => {
    assert.ok(isTlcError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('loadTextFiles', () => {
  it('groups a single file into documents of 20 paragraphs', async () => {
    const path = file('one.txt', `${paragraphs(45).join('\r\n\r\n\r\n\r\n')}\r\n`);
    const docs = await loadTextFiles([path]);
    assert.deepEqual(
      docs.map((d) => d.id),
      [`${basename(path)}#1`, `${basename(path)}#2`, `${basename(path)}#3`],
    );
    assert.equal(docs[0]!.text, paragraphs(20).join('\n\n'));
    assert.equal(docs[2]!.text, paragraphs(45).slice(40).join('\n\n'));
    assert.ok(docs.every((d) => d.source === path));
    const fives = await loadTextFiles([path], { paragraphsPerDocument: 5 });
    assert.equal(fives.length, 9);
  });

  it('cuts on lines holding only ---, in any mode', async () => {
    const path = file('sep.txt', 'First doc\nline two\n---\n\n  ---  \nSecond doc\n\n---\n');
    for (const documents of ['auto', 'file', 'paragraphs'] as const) {
      const docs = await loadTextFiles([path], { documents });
      assert.deepEqual(docs, [
        { id: `${basename(path)}#1`, source: path, text: 'First doc\nline two' },
        { id: `${basename(path)}#2`, source: path, text: 'Second doc' },
      ]);
    }
  });

  it('makes each of several files one document, keeping their order', async () => {
    const a = file('a.txt', '\uFEFFAlpha.\n\n\n\nStill alpha.\n');
    const b = file('b.txt', 'Beta.\n');
    const docs = await loadTextFiles([b, a]);
    assert.deepEqual(docs, [
      { id: basename(b), source: b, text: 'Beta.' },
      { id: basename(a), source: a, text: 'Alpha.\n\nStill alpha.' },
    ]);
    assert.equal((await loadTextFiles([a], { documents: 'file' }))[0]!.id, basename(a));
  });

  it('strips a Project Gutenberg header and footer', async () => {
    const path = file(
      'pg.txt',
      'The Project Gutenberg eBook of X\nLicence talk.\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\n' +
        'Real text.\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\nMore licence.\n',
    );
    const docs = await loadTextFiles([path], { documents: 'file' });
    assert.equal(docs[0]!.text, 'Real text.');
  });

  it('names the path of a missing file', async () => {
    const missing = join(dir, 'nope', 'missing.txt');
    await rejectsWith(loadTextFiles([missing]), 'DATA_INVALID', /missing\.txt: file not found/);
    assert.ok((await loadTextFiles([file('ok.txt', 'ok')]).catch(() => undefined)) !== undefined);
  });

  it('rejects empty, binary, non-UTF-8 files, directories and bad options', async () => {
    await rejectsWith(
      loadTextFiles([file('empty.txt', ' \n\n\t\n')]),
      'DATA_INVALID',
      /empty\.txt: is empty/,
    );
    await rejectsWith(loadTextFiles([file('only-sep.txt', '---\n---\n')]), 'DATA_INVALID', /is empty/);
    await rejectsWith(
      loadTextFiles([file('bin.dat', Uint8Array.of(0x50, 0x4b, 3, 4, 0, 0, 0x41))]),
      'DATA_INVALID',
      /bin\.dat: looks binary/,
    );
    await rejectsWith(
      loadTextFiles([file('latin1.txt', Uint8Array.of(0x63, 0x61, 0x66, 0xe9))]),
      'DATA_INVALID',
      /latin1\.txt: not valid UTF-8/,
    );
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    await rejectsWith(loadTextFiles([sub]), 'DATA_INVALID', /sub: is a directory/);
    await rejectsWith(loadTextFiles([]), 'DATA_INVALID', /no text files/);
    const ok = file('fine.txt', 'fine');
    await rejectsWith(loadTextFiles([ok, ok]), 'DATA_INVALID', /listed twice/);
    await rejectsWith(
      loadTextFiles([ok], { paragraphsPerDocument: 0 }),
      'CONFIG_INVALID',
      /paragraphsPerDocument/,
    );
  });
});
