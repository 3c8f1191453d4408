/**
 * The built-in classification sets and user files: SpamAssassin's 6,046 e-mails with each header choice, the
 * State of the Union passages by party (an address's passages in one split), splits that never move, and
 * labelled TSV / JSON Lines files with coded errors for bad rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  classificationCorpus,
  loadSotuParty,
  loadSpamAssassin,
  mailText,
  passages,
  readLabelledFile,
  subjectOf,
} from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-labelled-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('SpamAssassin', () => {
  it('has 6,046 e-mails, 1,896 of them spam, labelled by group', () => {
    const mails = loadSpamAssassin();
    assert.equal(mails.length, 6046);
    assert.equal(mails.filter((m) => m.label === 'spam').length, 1896);
    assert.equal(new Set(mails.map((m) => m.id)).size, mails.length);
  });

  it('keeps no header, the Subject line (unfolded) or all headers', () => {
    const raw = 'Received: from a.example\nSubject: Cheap\n\tpills now\nFrom: x@y\n\nHello   there,\nfriend.';
    assert.equal(subjectOf(raw), 'Cheap pills now');
    assert.equal(mailText(raw, 'none'), 'Hello there, friend.');
    assert.equal(mailText(raw, 'subject'), 'Cheap pills now Hello there, friend.');
    assert.match(
      mailText(raw, 'all'),
      /^Received: from a\.example Subject: Cheap pills now From: x@y Hello there/,
    );
    const [first] = loadSpamAssassin('none');
    assert.doesNotMatch(first!.text, /^Received:|Return-Path:/);
  });
});

describe('State of the Union passages by party', () => {
  it('labels passages of at least 60 words Democratic or Republican', () => {
    const rows = loadSotuParty();
    assert.deepEqual([...new Set(rows.map((r) => r.label))].sort(), ['Democratic', 'Republican']);
    assert.ok(rows.length > 10_000, String(rows.length));
    assert.ok(rows.every((r) => r.text.split(/\s+/).length >= 60));
  });

  it('cuts whole sentences, a short tail joining the last passage', () => {
    const text = 'One two three. Four five six. Seven.';
    assert.deepEqual(passages(text, 3), ['One two three.', 'Four five six. Seven.']);
  });
});

describe('classification splits', () => {
  it('are the same at every call, about 10% each for validation and test, an address whole in one split', () => {
    const a = classificationCorpus('sotu-party');
    const b = classificationCorpus('sotu-party');
    assert.deepEqual(
      a.test.map((r) => r.id),
      b.test.map((r) => r.id),
    );
    const splitOfId = new Map<string, string>();
    for (const [split, rows] of Object.entries(a))
      for (const r of rows) {
        assert.equal(splitOfId.get(r.id) ?? split, split, `${r.id} in two splits`);
        splitOfId.set(r.id, split);
      }
    const spam = classificationCorpus('spam-assassin');
    const total = spam.train.length + spam.validation.length + spam.test.length;
    assert.equal(total, 6046);
    assert.ok(Math.abs(spam.test.length / total - 0.1) < 0.02, String(spam.test.length));
    assert.throws(() => classificationCorpus('imdb'), {
      code: 'CONFIG_INVALID',
      message: /spam-assassin, sotu-party/,
    });
  });
});

describe('labelled files', () => {
  it('reads TSV (the label after the last tab) and JSON Lines (numeric labels as strings)', () => {
    const file = join(dir, 'mixed.txt');
    writeFileSync(file, 'a\tb text\tpos\n\n{"text": "json row", "label": 2}\n');
    assert.deepEqual(readLabelledFile(file), [
      { id: `${file}:1`, text: 'a\tb text', label: 'pos' },
      { id: `${file}:3`, text: 'json row', label: '2' },
    ]);
  });

  it('refuses a row without a label, a broken JSON row and an empty file, naming the line', () => {
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, 'ok\tpos\nno label here\n');
    assert.throws(() => readLabelledFile(bad), {
      code: 'DATA_INVALID',
      message: /bad\.tsv:2: expected text<TAB>label/,
    });
    writeFileSync(bad, '{"text": 1, "label": "x"}\n');
    assert.throws(() => readLabelledFile(bad), {
      code: 'DATA_INVALID',
      message: /bad\.tsv:1: expected \{"text"/,
    });
    writeFileSync(bad, '\n\n');
    assert.throws(() => readLabelledFile(bad), { code: 'DATA_INVALID', message: /no labelled texts/ });
  });
});
