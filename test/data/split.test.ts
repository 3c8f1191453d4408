/** Hash-based splits: reproducible values, validated fractions, disjoint and complete groups. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  groupBySplit,
  hashToUnit,
  resolveSplitFractions,
  SPLITS,
  selectSplit,
  splitOf,
} from '../../src/data/split.js';
import { isTlcError } from '../../src/errors/index.js';

const keys = Array.from({ length: 20000 }, (_, i) => `doc-${i}`);

describe('hashToUnit', () => {
  it('matches Python: int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 2**32', () => {
    // Values computed with CPython's hashlib, so other tools can reproduce the splits.
    assert.equal(hashToUnit('sotu:1790-george-washington'), 0.3248938270844519);
    assert.equal(hashToUnit('quran:1:1'), 0.6836231823544949);
    assert.equal(hashToUnit(''), 0.8524420219473541);
    assert.equal(hashToUnit('é'), 0.7464255357626826);
  });

  it('is spread evenly over [0, 1)', () => {
    const bins = new Array<number>(10).fill(0);
    for (const k of keys) bins[Math.floor(hashToUnit(k) * 10)]! += 1;
    for (const n of bins) assert.ok(Math.abs(n - 2000) < 150, `bin count ${n}`);
  });
});

describe('splits', () => {
  it('defaults to 5% validation and 5% test, within 1% on 20,000 keys', () => {
    const groups = groupBySplit(keys, (k) => k);
    assert.ok(Math.abs(groups.validation.length / keys.length - 0.05) < 0.01);
    assert.ok(Math.abs(groups.test.length / keys.length - 0.05) < 0.01);
  });

  it('is deterministic, disjoint and complete, keeping input order', () => {
    const a = groupBySplit(keys, (k) => k);
    const b = groupBySplit([...keys], (k) => k);
    assert.deepEqual(a, b);
    const all = SPLITS.flatMap((s) => a[s]);
    assert.equal(all.length, keys.length);
    assert.equal(new Set(all).size, keys.length);
    for (const s of SPLITS) {
      assert.deepEqual(
        a[s],
        keys.filter((k) => splitOf(k) === s),
      );
      assert.deepEqual(
        selectSplit(keys, s, (k) => k),
        a[s],
      );
    }
  });

  it('honours other fractions, and changing validation never moves a test item', () => {
    const f = { validation: 0.2, test: 0.1 };
    const groups = groupBySplit(keys, (k) => k, f);
    assert.ok(Math.abs(groups.validation.length / keys.length - 0.2) < 0.01);
    assert.ok(Math.abs(groups.test.length / keys.length - 0.1) < 0.01);
    const other = groupBySplit(keys, (k) => k, { validation: 0.01, test: 0.1 });
    assert.deepEqual(other.test, groups.test);
    assert.deepEqual(groupBySplit(keys, (k) => k, { validation: 0, test: 0 }).train, keys);
  });

  it('rejects fractions out of range with CONFIG_INVALID', () => {
    for (const bad of [
      { test: -0.1 },
      { validation: 1 },
      { validation: 0.5, test: 0.5 },
      { test: Number.NaN },
    ])
      assert.throws(
        () => resolveSplitFractions(bad),
        (e) => isTlcError(e) && e.code === 'CONFIG_INVALID',
      );
    assert.throws(
      () => selectSplit(keys, 'dev' as never, (k) => k),
      (e) => isTlcError(e) && e.code === 'CONFIG_INVALID' && /dev/.test(e.message),
    );
  });
});
