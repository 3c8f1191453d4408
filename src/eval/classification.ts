/** Accuracy and macro-F1 of predicted labels against the expected ones. */

/**
 * Accuracy, and macro-F1: the unweighted mean of each class's F1 over the classes that occur in the expected or
 * the predicted labels (0–1 both).
 */
export function classificationScores(
  expected: readonly string[],
  predicted: readonly string[],
): { accuracy: number; macroF1: number } {
  if (expected.length !== predicted.length)
    throw new RangeError(`${expected.length} expected labels, ${predicted.length} predicted`);
  const classes = new Set([...expected, ...predicted]);
  const f1s: number[] = [];
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    expected.forEach((e, i) => {
      const p = predicted[i];
      if (e === c && p === c) tp++;
      else if (p === c) fp++;
      else if (e === c) fn++;
    });
    f1s.push(tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));
  }
  const correct = expected.filter((e, i) => predicted[i] === e).length;
  return {
    accuracy: correct / Math.max(1, expected.length),
    macroF1: f1s.reduce((a, b) => a + b, 0) / Math.max(1, f1s.length),
  };
}
