/** The bag-of-words baseline (multinomial naive Bayes) and the classification scores, against hand computation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classificationScores } from '../../src/eval/classification.js';
import { bagOfWords, trainNaiveBayes } from '../../src/eval/naive-bayes.js';

describe('multinomial naive Bayes', () => {
  const rows = [
    { text: 'Cheap pills, cheap!', label: 'spam' },
    { text: 'cheap offer now', label: 'spam' },
    { text: 'meeting notes attached', label: 'ham' },
  ];

  it('tokenizes to lower-cased letter and digit runs', () => {
    assert.deepEqual(bagOfWords('Cheap pills, CHEAP! 2x café'), ['cheap', 'pills', 'cheap', '2x', 'café']);
  });

  it('scores log P(c) + Σ log P(w | c) with add-one smoothing, as computed by hand', () => {
    const nb = trainNaiveBayes(rows);
    assert.deepEqual(nb.classes, ['ham', 'spam']);
    // Vocabulary: cheap pills offer now meeting notes attached = 7 words; spam has 6 tokens (cheap ×3), ham 3.
    const [ham, spam] = nb.logScores('cheap notes unknownword');
    const wantSpam = Math.log(2 / 3) + Math.log((3 + 1) / (6 + 7)) + Math.log((0 + 1) / (6 + 7));
    const wantHam = Math.log(1 / 3) + Math.log((0 + 1) / (3 + 7)) + Math.log((1 + 1) / (3 + 7));
    assert.ok(Math.abs(spam! - wantSpam) < 1e-12, `${spam} vs ${wantSpam}`);
    assert.ok(Math.abs(ham! - wantHam) < 1e-12, `${ham} vs ${wantHam}`);
    assert.equal(nb.predict('cheap notes'), spam! > ham! ? 'spam' : 'ham');
    assert.equal(nb.predict('meeting attached'), 'ham');
  });
});

describe('classification scores', () => {
  it('gives accuracy and the unweighted mean of per-class F1', () => {
    const expected = ['a', 'a', 'a', 'b', 'b', 'c'];
    const predicted = ['a', 'a', 'b', 'b', 'c', 'c'];
    const s = classificationScores(expected, predicted);
    assert.equal(s.accuracy, 4 / 6);
    // a: tp 2, fp 0, fn 1 → 4/5; b: tp 1, fp 1, fn 1 → 1/2; c: tp 1, fp 1, fn 0 → 2/3.
    assert.ok(Math.abs(s.macroF1 - (4 / 5 + 1 / 2 + 2 / 3) / 3) < 1e-12);
    assert.throws(() => classificationScores(['a'], []), RangeError);
  });
});
