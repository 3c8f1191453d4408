/**
 * A classifier's metrics on labelled examples through the evaluation graph (validation, `tlc eval`): mean
 * cross-entropy, accuracy, macro-F1 and the confusion matrix; and the naive Bayes baseline on the same texts.
 */
import { classificationScores } from '../../eval/classification.js';
import { trainNaiveBayes } from '../../eval/naive-bayes.js';
import type { EvalRunner } from '../spec.js';
import { classifyEvalBatches, type EncodedExample } from './batches.js';

export interface ClassifierMetrics {
  readonly loss: number;
  readonly accuracy: number;
  readonly macroF1: number;
  /** confusion[expected][predicted]: counts, in label order. */
  readonly confusion: number[][];
  readonly texts: number;
}

/** Index of the largest of `n` values at `offset`. */
function argmax(values: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (values[offset + i]! > values[offset + best]!) best = i;
  return best;
}

export async function evaluateClassifierRun(
  run: EvalRunner,
  examples: readonly EncodedExample[],
  labels: readonly string[],
  o: { readonly batchSize: number; readonly pad: number; readonly maxLength: number },
): Promise<ClassifierMetrics> {
  const predicted = new Array<number>(examples.length).fill(0);
  let lossSum = 0;
  for (const { batch, indices } of classifyEvalBatches(examples, o)) {
    const out = await run(batch, ['loss', 'logits']);
    lossSum += Number(out.loss!.data[0]) * indices.length;
    const logits = out.logits!.data as Float32Array;
    indices.forEach((k, row) => {
      predicted[k] = argmax(logits, row * labels.length, labels.length);
    });
  }
  const confusion = labels.map(() => labels.map(() => 0));
  examples.forEach((e, k) => {
    confusion[e.label]![predicted[k]!]! += 1;
  });
  const s = classificationScores(
    examples.map((e) => labels[e.label]!),
    predicted.map((p) => labels[p]!),
  );
  return {
    loss: lossSum / Math.max(1, examples.length),
    accuracy: s.accuracy,
    macroF1: s.macroF1,
    confusion,
    texts: examples.length,
  };
}

/** Naive Bayes (bag of words) trained on `train`, scored on `test`: the baseline a classifier must beat. */
export function naiveBayesBaseline(
  train: readonly { text: string; label: string }[],
  test: readonly { text: string; label: string }[],
): { nb_accuracy: number; nb_macro_f1: number } {
  const nb = trainNaiveBayes(train);
  const s = classificationScores(
    test.map((t) => t.label),
    test.map((t) => nb.predict(t.text)),
  );
  return { nb_accuracy: s.accuracy, nb_macro_f1: s.macroF1 };
}
