/**
 * Corpus BLEU against sacreBLEU's published values: its README (the "Using SacreBLEU from Python" and
 * "Variable Number of References" examples) and its test suite (test/test_bleu.py, test/test_sentence_bleu.py
 * in mjpost/sacrebleu). Each case names its source; cases marked "by hand" are derived in the comment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bleuSignature,
  bleuStatistics,
  computeBleu,
  corpusBleu,
  formatBleu,
  sentenceBleu,
} from '../../src/eval/metrics/bleu.js';

/** The README's example, also test_bleu.py's `_refs` / `_hyps`: two reference streams of three segments. */
const REFS = [
  ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
  ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
];
const SYS = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

/** test_bleu.py compares with EPSILON = 1e-8 on scores in 0–100 (and on 0–1 for raw_corpus_bleu). */
function assertClose(actual: number, expected: number, tolerance = 1e-8): void {
  assert.ok(Math.abs(actual - expected) < tolerance, `${actual} is not within ${tolerance} of ${expected}`);
}

/** sacreBLEU's `raw_corpus_bleu`: no tokenization, `floor` smoothing, effective order. */
const raw = (smoothValue = 0.1) =>
  ({ tokenize: 'none', smoothMethod: 'floor', smoothValue, effectiveOrder: true }) as const;

describe('corpusBleu: sacreBLEU README example', () => {
  it('BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)', () => {
    const bleu = corpusBleu(SYS, REFS);
    assertClose(bleu.score, 48.530827); // test_bleu.py test_corpus_bleu_cases, default settings
    assert.deepEqual(bleu.counts, [14, 7, 5, 3]);
    assert.deepEqual(bleu.totals, [17, 14, 11, 8]);
    assert.equal(bleu.sysLen, 17);
    assert.equal(bleu.refLen, 18);
    assert.equal(
      formatBleu(bleu),
      'BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)',
    );
  });

  it('signature nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp, with version:tlc for the version', () => {
    const bleu = corpusBleu(SYS, REFS);
    assert.equal(bleu.signature, 'nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:tlc');
    assert.equal(
      formatBleu(bleu, bleu.signature),
      'BLEU|nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:tlc = 48.53 82.4/50.0/45.5/37.5 ' +
        '(BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)',
    );
  });

  it('a missing reference (null) gives 29.44 82.4/42.9/27.3/12.5 and nrefs:var', () => {
    const refs = [[null, ...REFS[0]!.slice(1)], REFS[1]!];
    const bleu = corpusBleu(SYS, refs);
    assert.equal(
      formatBleu(bleu),
      'BLEU = 29.44 82.4/42.9/27.3/12.5 (BP = 0.889 ratio = 0.895 hyp_len = 17 ref_len = 19)',
    );
    assert.equal(bleu.signature, 'nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:tlc');
  });

  it("an empty-string reference scores like a missing one but still counts as a reference (upstream's code)", () => {
    // The README says '' also gives nrefs:var; sacreBLEU's code (base.py `_cache_references`) only drops None,
    // and 2.6.0 prints nrefs:2. We follow the code.
    const bleu = corpusBleu(SYS, [['', ...REFS[0]!.slice(1)], REFS[1]!]);
    assert.equal(formatBleu(bleu).slice(0, 12), 'BLEU = 29.44');
    assert.equal(bleu.signature, 'nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:tlc');
  });
});

describe('corpusBleu: test_bleu.py', () => {
  it('test_corpus_bleu_cases', () => {
    assertClose(corpusBleu(SYS, REFS, { tokenize: 'none' }).score, 49.1919566);
    assertClose(corpusBleu(SYS, REFS, { tokenize: '13a' }).score, 48.530827);
    assertClose(corpusBleu(SYS, REFS, { smoothMethod: 'none' }).score, 48.530827);
    // "ensure that empty hypotheses are not removed"
    const empty = corpusBleu(['', '', ''], REFS);
    assert.equal(empty.score, 0);
    assert.equal(empty.sysLen, 0);
    assert.equal(empty.bp, 0);
  });

  it('test_bleu_max_order: orders 1 to 6', () => {
    const expected = ['77.65', '60.50', '53.93', '48.53', '46.14', '43.28'];
    expected.forEach((score, i) => {
      assert.equal(corpusBleu(SYS, REFS, { maxNgramOrder: i + 1 }).score.toFixed(2), score);
    });
  });

  it('test_raw_bleu_cases (raw_corpus_bleu with smooth_value 0.01)', () => {
    // No match at all returns 0 before any smoothing (sacreBLEU #141).
    assert.equal(corpusBleu(['this is a test', 'another test'], [['ref1', 'ref2']], raw(0.01)).score, 0);
    assertClose(corpusBleu(['this is a test'], [['this is a test']], raw(0.01)).score / 100, 1);
    assertClose(
      corpusBleu(['this is a fest'], [['this is a test']], raw(0.01)).score / 100,
      0.223606797749979,
    );
  });

  it('test_effective_order', () => {
    assertClose(corpusBleu(['test'], [['a test']], raw(0.01)).score / 100, 0.3678794411714425);
    assertClose(corpusBleu(['a test'], [['a test']], raw(0.01)).score / 100, 1);
    assertClose(corpusBleu(['a little test'], [['a test']], raw(0.01)).score / 100, 0.03218297948685433);
  });

  it('test_statistics: clipped counts and totals', () => {
    const stats = bleuStatistics(
      ['am I am a character sequence'],
      [['I am a symbol string sequence a a']],
      raw(0.01),
    );
    assert.deepEqual(stats.counts, [4, 2, 1, 0]);
    assert.deepEqual(stats.totals, [6, 5, 4, 3]);
  });

  it('test_offset: floor smoothing 0 gives 0, the default 0.1 gives 0.1555722182', () => {
    const hyp = ['am I am a character sequence'];
    const ref = [['I am a symbol string sequence a a']];
    assertClose(corpusBleu(hyp, ref, raw(0)).score / 100, 0);
    assertClose(corpusBleu(hyp, ref, raw()).score / 100, 0.1555722182);
    assertClose(corpusBleu(hyp, ref, { ...raw(), smoothValue: undefined }).score / 100, 0.1555722182);
  });

  it('test_scoring: from statistics, no smoothing', () => {
    const score = computeBleu(
      { counts: [9, 7, 5, 3], totals: [10, 8, 6, 4], sysLen: 11, refLen: 11 },
      { smoothMethod: 'none' },
    );
    assertClose(score.score / 100, 0.8375922397);
  });

  it('test_degenerate_statistics: floor smoothing gives exactly 0', () => {
    const cases: readonly [number[], number[], number, number, number][] = [
      [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0],
      [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0],
      [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
      [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
    ];
    for (const [counts, totals, sysLen, refLen, smoothValue] of cases) {
      const score = computeBleu({ counts, totals, sysLen, refLen }, { smoothMethod: 'floor', smoothValue });
      assert.equal(score.score, 0);
    }
  });
});

describe('sentenceBleu: test_sentence_bleu.py', () => {
  // Example from sacreBLEU #98; that file compares with EPSILON = 1e-3 and effective order on.
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS1 = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';

  it('smoothing methods and values', () => {
    const cases = [
      [{ smoothMethod: 'exp' }, 8.493],
      [{ smoothMethod: 'none' }, 0],
      [{ smoothMethod: 'floor' }, 4.51688],
      [{ smoothMethod: 'floor', smoothValue: 0.1 }, 4.51688],
      [{ smoothMethod: 'floor', smoothValue: 0.5 }, 10.1],
      [{ smoothMethod: 'add-k' }, 14.882],
      [{ smoothMethod: 'add-k', smoothValue: 1 }, 14.882],
      [{ smoothMethod: 'add-k', smoothValue: 2 }, 21.389],
      [{ smoothMethod: 'exp', tokenize: 'none' }, 7.347],
    ] as const;
    for (const [options, expected] of cases) {
      assertClose(sentenceBleu(SYS1, [REF], options).score, expected, 1e-3);
    }
  });

  it('no n-gram match is 0 whatever the smoothing (#141)', () => {
    for (const smoothMethod of ['exp', 'none', 'floor', 'add-k'] as const) {
      assert.equal(sentenceBleu('this is a cat', ['okay thanks'], { smoothMethod }).score, 0);
    }
  });
});

describe('corpusBleu: edge cases (by hand)', () => {
  it('a perfect match is 100', () => {
    const line = 'The quick brown fox jumps over the lazy dog.';
    const bleu = corpusBleu([line], [[line]]);
    assertClose(bleu.score, 100, 1e-12); // exp(log 100) is 100.00000000000004, in Python too
    assert.deepEqual(bleu.precisions, [100, 100, 100, 100]);
    assert.equal(bleu.bp, 1);
  });

  it('a perfect match shorter than 4 tokens is 0 without effective order, 100 with it', () => {
    // No 4-gram in the corpus: the loop stops at order 4 and its zero precision stays in the average.
    assert.equal(corpusBleu(['a b c'], [['a b c']]).score, 0);
    assertClose(corpusBleu(['a b c'], [['a b c']], { effectiveOrder: true }).score, 100, 1e-12);
  });

  it('precisions 5/6, 3/5, 2/4, 1/3 give 100·(1/12)^(1/4)', () => {
    const bleu = corpusBleu(['the cat sat on a mat'], [['the cat sat on the mat']]);
    assert.deepEqual(bleu.counts, [5, 3, 2, 1]);
    assert.deepEqual(bleu.totals, [6, 5, 4, 3]);
    assertClose(bleu.score, 100 * (1 / 12) ** 0.25, 1e-12);
  });

  it('brevity penalty: 4 matching tokens against 8 give exp(1 − 8/4)', () => {
    const bleu = corpusBleu(['a b c d'], [['a b c d e f g h']]);
    assertClose(bleu.bp, Math.exp(-1), 1e-15);
    assertClose(bleu.score, 100 * Math.exp(-1), 1e-12);
    assert.equal(bleu.ratio, 0.5);
  });

  it('the closest reference length sets the penalty, the shorter one on a tie', () => {
    // Hypothesis of 4 tokens; references of 3 and 5 tokens are equally close: 3 is used, so no penalty.
    const tie = bleuStatistics(['a b c d'], [['a b c'], ['a b c d e']]);
    assert.equal(tie.refLen, 3);
    assert.equal(corpusBleu(['a b c d'], [['a b c'], ['a b c d e']]).bp, 1);
  });

  it('exp smoothing halves each further zero-match order: 1/(2·total), then 1/(4·total)', () => {
    // Hypothesis 'a b x y' vs 'a b c d': 1-grams 2/4, 2-grams 1/3, 3-grams 0/2, 4-grams 0/1.
    const bleu = corpusBleu(['a b x y'], [['a b c d']]);
    assert.deepEqual(bleu.precisions, [50, 100 / 3, 100 / (2 * 2), 100 / (4 * 1)]);
    assertClose(bleu.score, (50 * (100 / 3) * 25 * 25) ** 0.25, 1e-12);
  });

  it('13a tokenization splits punctuation; tokenize none does not', () => {
    assertClose(corpusBleu(['Hello, world!'], [['Hello , world !']]).score, 100, 1e-12);
    assert.equal(corpusBleu(['Hello, world!'], [['Hello , world !']], { tokenize: 'none' }).score, 0);
  });

  it('lowercase', () => {
    const mixed = corpusBleu(['THE CAT SAT ON THE MAT'], [['the cat sat on the mat']]);
    const lc = corpusBleu(['THE CAT SAT ON THE MAT'], [['the cat sat on the mat']], { lowercase: true });
    assert.equal(mixed.score, 0);
    assertClose(lc.score, 100, 1e-12);
    assert.equal(lc.signature, 'nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:tlc');
  });

  it('trailing whitespace is stripped before tokenizing, as upstream', () => {
    assert.equal(corpusBleu(['a b c d \t'], [['a b c d']], { tokenize: 'none' }).sysLen, 4);
  });

  it('add-k: the score smooths, but counts and totals come back as measured (upstream adds k in place)', () => {
    // sacreBLEU 2.6.0 prints 65.80 for this and reports counts [3, 3, 2, 1] / totals [4, 4, 3, 2].
    const bleu = corpusBleu(['a b c x'], [['a b c d']], { smoothMethod: 'add-k' });
    assertClose(bleu.score, 100 * ((3 / 4) * (3 / 4) * (2 / 3) * (1 / 2)) ** 0.25, 1e-12);
    assert.deepEqual(bleu.counts, [3, 2, 1, 0]);
    assert.deepEqual(bleu.totals, [4, 3, 2, 1]);
  });
});

describe('BLEU signature and argument checks', () => {
  it('writes the smoothing value for floor and add-k', () => {
    assert.equal(
      bleuSignature({ smoothMethod: 'floor', tokenize: 'none', effectiveOrder: true }, 1),
      'nrefs:1|case:mixed|eff:yes|tok:none|smooth:floor[0.10]|version:tlc',
    );
    assert.equal(
      bleuSignature({ smoothMethod: 'add-k', smoothValue: 2 }, 3),
      'nrefs:3|case:mixed|eff:no|tok:13a|smooth:add-k[2.00]|version:tlc',
    );
  });

  it('rejects streams that do not line up, missing references and bad options', () => {
    assert.throws(() => corpusBleu(['a', 'b'], [['a']]), {
      name: 'RangeError',
      message: 'reference stream 0 has 1 segments, the hypotheses have 2',
    });
    assert.throws(() => corpusBleu(['a'], [[null]]), {
      name: 'RangeError',
      message: /segment 0 has no reference/,
    });
    assert.throws(() => corpusBleu([], []), { name: 'RangeError', message: 'no hypotheses to score' });
    assert.throws(() => corpusBleu(['a'], []), { name: 'RangeError', message: 'no reference streams given' });
    assert.throws(() => corpusBleu(['a'], [['a']], { maxNgramOrder: 0 }), RangeError);
    assert.throws(() => corpusBleu(['a'], [['a']], { smoothMethod: 'floor', smoothValue: -1 }), RangeError);
    assert.throws(() => computeBleu({ counts: [1], totals: [1], sysLen: 1, refLen: 1 }), RangeError);
  });
});
