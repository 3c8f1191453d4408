/**
 * The bag-of-words baseline a fine-tuned classifier must beat: multinomial naive Bayes over lower-cased word and
 * number tokens, with add-one (Laplace) smoothing and the classes' frequencies as priors. Trained on the train
 * split and scored on the same test split as the model, in accuracy and macro-F1.
 */

/** Lower-cased runs of letters or digits. */
export function bagOfWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

export interface NaiveBayes {
  readonly classes: readonly string[];
  /** The most probable class of a text. */
  predict(text: string): string;
  /** log P(class) + Σ log P(word | class) per class, in `classes` order (words not seen in training skipped). */
  logScores(text: string): number[];
}

export function trainNaiveBayes(rows: readonly { text: string; label: string }[], alpha = 1): NaiveBayes {
  const classes = [...new Set(rows.map((r) => r.label))].sort();
  const index = new Map(classes.map((c, i) => [c, i] as const));
  const counts = classes.map(() => new Map<string, number>());
  const totals = classes.map(() => 0);
  const docs = classes.map(() => 0);
  const vocabulary = new Set<string>();
  for (const r of rows) {
    const c = index.get(r.label)!;
    docs[c]! += 1;
    for (const w of bagOfWords(r.text)) {
      counts[c]!.set(w, (counts[c]!.get(w) ?? 0) + 1);
      totals[c]! += 1;
      vocabulary.add(w);
    }
  }
  const v = vocabulary.size;
  const logPrior = docs.map((d) => Math.log(d / rows.length));
  const logScores = (text: string): number[] => {
    const words = bagOfWords(text).filter((w) => vocabulary.has(w));
    return classes.map((_, c) => {
      let score = logPrior[c]!;
      const denominator = Math.log(totals[c]! + alpha * v);
      for (const w of words) score += Math.log((counts[c]!.get(w) ?? 0) + alpha) - denominator;
      return score;
    });
  };
  return {
    classes,
    logScores,
    predict(text) {
      const scores = logScores(text);
      let best = 0;
      for (let c = 1; c < scores.length; c++) if (scores[c]! > scores[best]!) best = c;
      return classes[best]!;
    },
  };
}
