/** The neighbour-count MLM baseline against hand-counted answers and a plain nested-map implementation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NeighbourCounts, neighbourBaselineAccuracy } from '../../src/eval/metrics/neighbour-baseline.js';
import { Rng } from '../../src/util/rng.js';

// Specials as in TLC's tokenizers: <s> 0, </s> 1, <pad> 2, <mask> 3; regular words from 4.
const PAD = 2;
const MASK = 3;
const options = (vocabSize: number) => ({ vocabSize, unknown: new Set([PAD, MASK]), firstRegular: 4 });

describe('NeighbourCounts', () => {
  const sequences = [
    [0, 5, 6, 7, 1],
    [0, 5, 6, 7, 1],
    [0, 5, 8, 7, 1],
    [0, 9, 8, 7, 1],
  ];
  const counts = NeighbourCounts.fromSequences(sequences, options(10));

  it('predicts the commonest word between two neighbours', () => {
    assert.equal(counts.predict(5, 7), 6); // 6 twice, 8 once
    assert.equal(counts.predict(9, 7), 8);
    assert.equal(counts.predict(0, 6), 5);
  });

  it('backs off to one side when a neighbour is a mask, padding or missing', () => {
    assert.equal(counts.predict(5, MASK), 6); // after 5: 6 twice, 8 once
    assert.equal(counts.predict(MASK, 7), 6); // before 7: 6 and 8 twice each; the smaller id on a tie
    assert.equal(counts.predict(undefined, 8), 5); // before 8: 5 once, 9 once → 5
    assert.equal(counts.predict(9, PAD), 8);
  });

  it('backs off to the commonest word for contexts never seen', () => {
    // Words counted between neighbours: 5 ×3, 6 ×2, 7 ×4, 8 ×2, 9 ×1.
    assert.equal(counts.commonest, 7);
    assert.equal(counts.predict(4, 4), 7);
    assert.equal(counts.predict(MASK, MASK), 7);
    // An unseen pair falls back to the left neighbour's counts, not straight to the commonest word.
    assert.equal(counts.predict(5, 9), 6);
  });

  it('refuses vocabularies too large for exact keys', () => {
    assert.throws(() => NeighbourCounts.fromSequences([], options(300_000)), RangeError);
  });
});

/** The same rule written plainly with nested maps, as the independent reference. */
function referencePredict(
  sequences: readonly number[][],
  left: number | undefined,
  right: number | undefined,
): number {
  const known = (id: number | undefined): id is number => id !== undefined && id !== PAD && id !== MASK;
  const tally = (match: (l: number, r: number) => boolean) => {
    const c = new Map<number, number>();
    for (const s of sequences)
      for (let i = 1; i + 1 < s.length; i++) {
        const w = s[i]!;
        if (w < 4) continue;
        if (match(s[i - 1]!, s[i + 1]!)) c.set(w, (c.get(w) ?? 0) + 1);
      }
    let best = -1;
    for (const [w, n] of c) if (best < 0 || n > c.get(best)! || (n === c.get(best)! && w < best)) best = w;
    return best;
  };
  if (known(left) && known(right)) {
    const w = tally((l, r) => l === left && r === right);
    if (w >= 0) return w;
  }
  if (known(left)) {
    const w = tally((l) => l === left);
    if (w >= 0) return w;
  }
  if (known(right)) {
    const w = tally((_l, r) => r === right);
    if (w >= 0) return w;
  }
  return tally(() => true);
}

describe('neighbourBaselineAccuracy', () => {
  it('equals the plain implementation on random masked batches', () => {
    const rng = Rng.seeded(7);
    const vocab = 12;
    // A skewed distribution so that counts have clear winners and ties both occur.
    const word = () => 4 + Math.min(vocab - 5, Math.floor(-Math.log(1 - rng.next()) * 2));
    const sequences = Array.from({ length: 60 }, () => [0, ...Array.from({ length: 8 }, word), 1]);
    const counts = NeighbourCounts.fromSequences(sequences, options(vocab));
    const length = 10;
    const rows = Array.from({ length: 40 }, () => [0, ...Array.from({ length: 8 }, word), 1]);
    rows[3]!.splice(6, 4, 1, PAD, PAD, PAD); // a short row, padded
    const ids = rows.flat();
    const positions: number[] = [];
    const labels: number[] = [];
    for (let p = 0; p < ids.length; p++) {
      if (ids[p]! < 4 || rng.next() > 0.3) continue;
      positions.push(p);
      labels.push(ids[p]!);
    }
    for (const p of positions) if (rng.next() < 0.8) ids[p] = MASK;
    let expected = 0;
    for (const [k, p] of positions.entries()) {
      const column = p % length;
      const left = column > 0 ? ids[p - 1] : undefined;
      const right = column + 1 < length ? ids[p + 1] : undefined;
      assert.equal(counts.predict(left, right), referencePredict(sequences, left, right), `position ${p}`);
      if (referencePredict(sequences, left, right) === labels[k]) expected++;
    }
    const result = neighbourBaselineAccuracy(counts, [
      {
        ids: BigInt64Array.from(ids, (x) => BigInt(x)),
        length,
        positions: BigInt64Array.from(positions, (x) => BigInt(x)),
        labels,
      },
    ]);
    assert.ok(positions.length > 50);
    assert.equal(result.total, positions.length);
    assert.equal(result.correct, expected);
    assert.ok(expected > 0 && expected < positions.length);
  });
});
