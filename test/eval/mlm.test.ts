/** Masked-LM accuracy and perplexity against hand-computed values. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  argmaxRows,
  MlmMetricsAccumulator,
  maskedAccuracy,
  perplexity,
  tokenNll,
} from '../../src/eval/metrics/mlm.js';

function assertClose(actual: number, expected: number, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) < tolerance, `${actual} is not within ${tolerance} of ${expected}`);
}

describe('maskedAccuracy', () => {
  it('counts only labelled positions', () => {
    // Position 1 is ignored; 0 and 2 are right, 3 is wrong: 2 of 3.
    assert.deepEqual(maskedAccuracy([1, 2, 3, 4], [1, -100, 3, 5]), {
      correct: 2,
      total: 3,
      accuracy: 2 / 3,
    });
  });

  it('takes int64 labels and predictions, and another ignore index', () => {
    const labels = BigInt64Array.from([7n, 0n, 9n]);
    const predictions = BigInt64Array.from([7n, 5n, 8n]);
    assert.deepEqual(maskedAccuracy(predictions, labels, 0), { correct: 1, total: 2, accuracy: 0.5 });
  });

  it('is NaN with nothing labelled, and rejects arrays of different lengths', () => {
    const none = maskedAccuracy([1, 2], [-100, -100]);
    assert.equal(none.total, 0);
    assert.ok(Number.isNaN(none.accuracy));
    assert.throws(() => maskedAccuracy([1], [1, 2]), {
      name: 'RangeError',
      message: '1 predictions for 2 labels',
    });
  });
});

describe('perplexity', () => {
  it('is exp of the mean NLL', () => {
    assert.equal(perplexity(0), 1);
    assertClose(perplexity(Math.log(4)), 4);
  });

  it('overflows to Infinity and rejects NaN and negative values', () => {
    assert.equal(perplexity(1000), Number.POSITIVE_INFINITY);
    assert.equal(perplexity(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    assert.throws(() => perplexity(Number.NaN), RangeError);
    assert.throws(() => perplexity(-0.5), {
      name: 'RangeError',
      message: /a log-likelihood, not its negative/,
    });
  });
});

describe('argmaxRows and tokenNll', () => {
  it('argmax takes the first maximum of each row', () => {
    assert.deepEqual(Array.from(argmaxRows([0, 2, 2, 5, -1, 5], 3)), [1, 0]);
    assert.deepEqual(Array.from(argmaxRows([Number.NEGATIVE_INFINITY, -3], 2)), [1]);
    assert.throws(() => argmaxRows([1, 2, 3], 2), RangeError);
    assert.throws(() => argmaxRows([Number.NaN, 1], 2), RangeError);
  });

  it('NLL under softmax, in float64', () => {
    // Row 0: uniform over 4 → ln 4. Row 1: logits [0, ln 3, 0, 0] give p = [1, 3, 1, 1]/6; label 1 → ln 2.
    // Row 2 is ignored.
    const logits = [0, 0, 0, 0, 0, Math.log(3), 0, 0, 9, 9, 9, 9];
    const nll = tokenNll(logits, [2, 1, -100], 4);
    assert.equal(nll.count, 2);
    assertClose(nll.sum, Math.log(4) + Math.log(2));
  });

  it('is stable for large logits and infinite for a -Infinity label logit', () => {
    // [1000, 1000] is uniform: ln 2, where a naive exp would overflow.
    assertClose(tokenNll([1000, 1000], [0], 2).sum, Math.log(2));
    assert.equal(tokenNll([0, Number.NEGATIVE_INFINITY], [0], 2).sum, 0);
    assert.equal(tokenNll([0, Number.NEGATIVE_INFINITY], [1], 2).sum, Number.POSITIVE_INFINITY);
  });

  it('rejects labels out of range, NaN and +Infinity logits, all -Infinity rows', () => {
    assert.throws(() => tokenNll([0, 0], [2], 2), {
      name: 'RangeError',
      message: 'label 2 at row 0 is outside [0, 2)',
    });
    assert.throws(() => tokenNll([Number.NaN, 0], [0], 2), RangeError);
    assert.throws(() => tokenNll([Number.POSITIVE_INFINITY, 0], [0], 2), RangeError);
    const minusInf = Number.NEGATIVE_INFINITY;
    assert.throws(() => tokenNll([minusInf, minusInf], [0], 2), { message: 'logit row 0 is all -Infinity' });
    assert.throws(() => tokenNll([0, 0, 0, 0], [0], 2), { message: '2 logit rows for 1 labels' });
  });
});

describe('MlmMetricsAccumulator', () => {
  it('weights batch losses by labelled tokens, not by batch', () => {
    // Batch 1: one labelled token, mean loss 2. Batch 2: three labelled tokens, mean loss 1.
    // Mean NLL = (2·1 + 1·3) / 4 = 1.25 (a mean of the batch means would give 1.5).
    const acc = new MlmMetricsAccumulator();
    acc.add({ labels: [5, -100, -100], predictions: [5, 0, 0], meanLoss: 2 });
    acc.add({ labels: [1, 2, 3], predictions: [1, 2, 0], meanLoss: 1 });
    const r = acc.result();
    assert.equal(r.batches, 2);
    assert.equal(r.lossTokens, 4);
    assert.equal(r.meanNll, 1.25);
    assertClose(r.perplexity, Math.exp(1.25));
    assert.equal(r.predictedTokens, 4);
    assert.equal(r.correct, 3);
    assert.equal(r.accuracy, 0.75);
  });

  it('accepts loss-only and prediction-only batches, and skips the NaN loss of a batch with no label', () => {
    const acc = new MlmMetricsAccumulator();
    acc.add({ labels: [-100, -100], meanLoss: Number.NaN }); // SoftmaxCrossEntropyLoss gives 0/0 here
    acc.add({ labels: [4, 4], meanLoss: Math.log(2) });
    acc.add({ labels: [4], predictions: [3] });
    const r = acc.result();
    assert.equal(r.lossTokens, 2);
    assertClose(r.perplexity, 2);
    assert.equal(r.predictedTokens, 1);
    assert.equal(r.accuracy, 0);
    assert.throws(() => acc.add({ labels: [1] }), TypeError);
    assert.throws(() => acc.add({ labels: [1], meanLoss: -1 }), RangeError);
  });

  it('from logits: argmax accuracy and exact NLL', () => {
    // Rows: uniform over 4 (argmax 0, label 2: wrong, NLL ln 4) and [0, ln 3, 0, 0]
    // (argmax 1, label 1: right, p = 3/6, NLL ln 2).
    const acc = new MlmMetricsAccumulator();
    acc.addLogits([0, 0, 0, 0, 0, Math.log(3), 0, 0], BigInt64Array.from([2n, 1n]), 4);
    const r = acc.result();
    assert.equal(r.accuracy, 0.5);
    assertClose(r.meanNll, (Math.log(4) + Math.log(2)) / 2);
    assertClose(r.perplexity, Math.sqrt(8));
  });

  it('is NaN before any token, and reset starts over', () => {
    const acc = new MlmMetricsAccumulator({ ignoreIndex: 0 });
    const empty = acc.result();
    assert.ok(Number.isNaN(empty.accuracy) && Number.isNaN(empty.meanNll) && Number.isNaN(empty.perplexity));
    acc.add({ labels: [0, 3], predictions: [1, 3], meanLoss: 0.5 });
    assert.equal(acc.result().accuracy, 1);
    acc.reset();
    assert.equal(acc.result().batches, 0);
    assert.ok(Number.isNaN(acc.result().accuracy));
  });
});
