/**
 * chrF / chrF++ against sacreBLEU's published values: its README ("Using SacreBLEU from Python": chrF2 = 59.73)
 * and its test suite (test/test_chrf.py in mjpost/sacrebleu, which compares with EPSILON = 1e-4; most of its
 * cases use beta 3). Cases marked "by hand" are derived in the comment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ChrfOptions,
  chrfSignature,
  chrfStatistics,
  computeChrf,
  corpusChrf,
  formatChrf,
  sentenceChrf,
} from '../../src/eval/metrics/chrf.js';

const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const SYS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

function assertClose(actual: number, expected: number, tolerance = 1e-4): void {
  assert.ok(Math.abs(actual - expected) < tolerance, `${actual} is not within ${tolerance} of ${expected}`);
}

/** test_chrf.py's `corpus_chrf(hyps, [refs], char_order=6, word_order=0, beta=3, ...)`. */
function chrfBeta3(hyps: string[], refs: string[], options: ChrfOptions): number {
  return corpusChrf(hyps, [refs], { charOrder: 6, wordOrder: 0, beta: 3, ...options }).score;
}

describe('corpusChrf: sacreBLEU README example', () => {
  it('chrF2 = 59.73 against both reference streams', () => {
    const chrf = corpusChrf(SYS, REFS);
    assert.equal(formatChrf(chrf), 'chrF2 = 59.73');
    assert.equal(chrf.name, 'chrF2');
    assert.equal(chrf.signature, 'nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:tlc');
  });

  it('chrF2++ of the same example (value from sacreBLEU 2.6.0, not published)', () => {
    // CHRF(word_order=2).corpus_score(sys, refs) printed chrF2++ = 59.15 (59.15310444399262).
    const chrf = corpusChrf(SYS, REFS, { wordOrder: 2 });
    assertClose(chrf.score, 59.15310444399262, 1e-10);
    assert.equal(chrf.name, 'chrF2++');
    assert.equal(chrf.signature, 'nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|version:tlc');
  });
});

describe('corpusChrf: test_chrf.py', () => {
  it('test_chrf: epsilon smoothing (chrF++.py, NLTK, Moses)', () => {
    const cases: readonly [string[], string[], number][] = [
      [['abcdefg'], ['hijklmnop'], 0.0],
      [['a'], ['b'], 0.0],
      [[''], ['b'], 0.0],
      [[''], ['ref'], 0.0],
      [[''], ['reference'], 0.0],
      [['aa'], ['ab'], 8.3333],
      [['a', 'b'], ['a', 'c'], 8.3333],
      [['a'], ['a'], 16.6667],
      [['a b c'], ['a b c'], 50.0],
      [['a b c'], ['abc'], 50.0],
      [
        [
          ' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
        ],
        [
          'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
        ],
        63.36173,
      ],
      [
        [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
        ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
        64.1302698,
      ],
      [
        ['Niemand hat die Absicht, eine Mauer zu errichten'],
        ['Niemand hat die Absicht, eine Mauer zu errichten'],
        100.0,
      ],
    ];
    for (const [hyps, refs, expected] of cases)
      assertClose(chrfBeta3(hyps, refs, { epsSmoothing: true }), expected);
  });

  it('test_chrf_eff_order: effective-order averaging (sacreBLEU < 2.0 and its default)', () => {
    const cases: readonly [string[], string[], number][] = [
      [['a'], ['a'], 100.0],
      [[''], ['reference'], 0.0],
      [['a b c'], ['a b c'], 100.0],
      [['a b c'], ['abc'], 100.0],
      [[''], ['c'], 0.0],
      [['a', 'b'], ['a', 'c'], 50.0],
      [['aa'], ['ab'], 25.0],
    ];
    for (const [hyps, refs, expected] of cases)
      assertClose(chrfBeta3(hyps, refs, { epsSmoothing: false }), expected);
  });

  it('test_chrf_keep_whitespace', () => {
    assertClose(
      chrfBeta3(
        ['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'],
        ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
        { whitespace: true },
      ),
      67.3481606,
    );
    assertClose(
      chrfBeta3(
        [
          'risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
        ],
        [
          'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
        ],
        { whitespace: true },
      ),
      65.2414427,
    );
  });

  it('test_chrf_sentence_level: epsilon smoothing, beta 2', () => {
    const cases: readonly [string, string, number][] = [
      [
        'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
        'Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.',
        39.14078509,
      ],
      [
        'Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.',
        'A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.',
        31.22557079,
      ],
      [
        'Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.',
        'Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.',
        57.15704367,
      ],
    ];
    for (const [hyp, ref, expected] of cases) {
      assertClose(sentenceChrf(hyp, [ref], { epsSmoothing: true }).score, expected);
    }
  });
});

describe('corpusChrf: edge cases (by hand)', () => {
  it('an empty hypothesis is 0, a perfect match 100', () => {
    assert.equal(corpusChrf([''], [['abc']]).score, 0);
    assert.equal(corpusChrf(['abc d'], [['abcd']]).score, 100); // whitespace is removed before n-grams
  });

  it("chrF++ of 'a b' vs 'a c': char and word 1-grams match 1 of 2, 2-grams 0 of 1 → 25", () => {
    // Char orders 3–6 have no reference n-grams and are left out; average P = R = 1/4, F2 = 1/4.
    const chrf = corpusChrf(['a b'], [['a c']], { wordOrder: 2 });
    assertClose(chrf.score, 25, 1e-12);
    assert.deepEqual(
      chrfStatistics(['a b'], [['a c']], { wordOrder: 2 }).stats,
      [2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 1, 1, 1, 0],
    );
  });

  it('chrF++ splits one punctuation mark off a word end, else off its start', () => {
    // Hypothesis words: '(hi' ')' (sacreBLEU #124: not '(' 'hi' ')'), 'there' ',', '!' 'x'; the reference's
    // one-character words stay whole. Five of the six hypothesis words match; '(hi' does not.
    const stats = chrfStatistics(['(hi) there, !x'], [[') there , ! x']], { charOrder: 0, wordOrder: 1 });
    assert.deepEqual(stats.stats, [6, 5, 5]);
  });

  it('statistics are summed over the corpus before the F-score', () => {
    // Segment 1: 'ab' vs 'ab', all match; segment 2: 'cdef' vs 'xy', none. Orders 1–2 only.
    const options = { charOrder: 2 } as const;
    const { stats } = chrfStatistics(['ab', 'cdef'], [['ab', 'xy']], options);
    assert.deepEqual(stats, [6, 4, 2, 4, 2, 1]);
    // P = (2/6 + 1/4)/2 = 7/24, R = (2/4 + 1/2)/2 = 1/2, F2 = 5PR/(4P + R) = 0.4375; the mean of the
    // segment scores (100 and 0) would be 50.
    assertClose(computeChrf(stats, options).score, 43.75, 1e-12);
  });

  it('the reference with the best segment F-score supplies the statistics', () => {
    const best = corpusChrf(['abcd'], [['xyz'], ['abcd']]);
    assert.equal(best.score, 100);
    assert.equal(best.signature, 'nrefs:2|case:mixed|eff:yes|nc:6|nw:0|space:no|version:tlc');
  });

  it('lowercase', () => {
    assert.equal(corpusChrf(['ABC'], [['abc']]).score, 0);
    assert.equal(corpusChrf(['ABC'], [['abc']], { lowercase: true }).score, 100);
  });

  it('an astral character is one character, as in Python', () => {
    // '😀a' vs '😀b': 1-grams match 1 of 2; 2-grams 0 of 1. Beta 1, effective order: P = R = 1/4.
    assertClose(corpusChrf(['😀a'], [['😀b']], { beta: 1 }).score, 25, 1e-12);
  });
});

describe('chrF signature and argument checks', () => {
  it('records case, smoothing, orders and whitespace', () => {
    assert.equal(
      chrfSignature(
        { lowercase: true, epsSmoothing: true, whitespace: true, charOrder: 4, wordOrder: 1 },
        'var',
      ),
      'nrefs:var|case:lc|eff:no|nc:4|nw:1|space:yes|version:tlc',
    );
    assert.equal(computeChrf(new Array(18).fill(0), { beta: 3 }).name, 'chrF3');
  });

  it('rejects bad options and statistics of the wrong size', () => {
    assert.throws(() => corpusChrf(['a'], [['a']], { beta: 0 }), RangeError);
    assert.throws(() => corpusChrf(['a'], [['a']], { charOrder: 0, wordOrder: 0 }), RangeError);
    assert.throws(() => computeChrf([1, 2, 3]), {
      name: 'RangeError',
      message: 'chrF needs 18 statistics, got 3',
    });
    assert.throws(() => corpusChrf(['a', 'b'], [['a']]), RangeError);
  });
});
