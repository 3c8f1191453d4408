/**
 * Masked-language-model evaluation: accuracy at the labelled positions, and perplexity = exp(mean negative
 * log-likelihood per labelled token), summed over batches by token count (a mean of per-batch perplexities
 * or of per-batch mean losses weighs batches with few masked tokens too much).
 * 0/0 quantities (no labelled token seen) come back as NaN rather than a made-up 0.
 */
import { IGNORE_INDEX } from '../../models/encoder.js';

/** Token ids as plain numbers or as an int64 tensor's `BigInt64Array`. */
export type TokenIds = ArrayLike<number> | ArrayLike<bigint>;

export interface AccuracyResult {
  readonly correct: number;
  /** Positions whose label is not the ignore index. */
  readonly total: number;
  /** correct / total; NaN when total is 0. */
  readonly accuracy: number;
}

/** Accuracy of predicted ids against labels, skipping positions labelled `ignoreIndex` (default -100). */
export function maskedAccuracy(
  predictions: TokenIds,
  labels: TokenIds,
  ignoreIndex: number = IGNORE_INDEX,
): AccuracyResult {
  if (predictions.length !== labels.length)
    throw new RangeError(`${predictions.length} predictions for ${labels.length} labels`);
  let correct = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const label = Number(labels[i]);
    if (label === ignoreIndex) continue;
    total++;
    if (Number(predictions[i]) === label) correct++;
  }
  return { correct, total, accuracy: correct / total };
}

/**
 * exp(meanNll). Overflow gives Infinity (as Hugging Face's run_mlm.py catches OverflowError into inf).
 * NaN and negative values throw: a cross-entropy computed as max − x + log Σ exp(x − max) is never below 0
 * in floating point, so a negative mean is a log-likelihood passed by mistake.
 */
export function perplexity(meanNll: number): number {
  if (Number.isNaN(meanNll)) throw new RangeError('mean NLL is NaN');
  if (meanNll < 0)
    throw new RangeError(`mean NLL must be >= 0, got ${meanNll} (a log-likelihood, not its negative?)`);
  return Math.exp(meanNll);
}

function checkRows(logits: ArrayLike<number>, vocabSize: number): number {
  if (!Number.isInteger(vocabSize) || vocabSize < 1)
    throw new RangeError(`vocabSize must be a positive integer, got ${vocabSize}`);
  if (logits.length % vocabSize !== 0)
    throw new RangeError(`${logits.length} logits are not rows of ${vocabSize}`);
  return logits.length / vocabSize;
}

/** Row-wise argmax of logits [rows, vocabSize], the first index on a tie (as torch.argmax and numpy). */
export function argmaxRows(logits: ArrayLike<number>, vocabSize: number): Int32Array {
  const rows = checkRows(logits, vocabSize);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < vocabSize; v++) {
      const x = logits[r * vocabSize + v]!;
      if (Number.isNaN(x)) throw new RangeError(`logit row ${r} has NaN`);
      if (x > bestValue || v === 0) {
        best = v;
        bestValue = x;
      }
    }
    out[r] = best;
  }
  return out;
}

/**
 * Summed negative log-likelihood, in float64, of the labels under softmax(logits [rows, vocabSize]), over the
 * rows whose label is not `ignoreIndex`. -Infinity logits (masked-out ids) are allowed; NaN, +Infinity and an
 * all -Infinity row are not. A label whose logit is -Infinity has infinite NLL.
 */
export function tokenNll(
  logits: ArrayLike<number>,
  labels: TokenIds,
  vocabSize: number,
  ignoreIndex: number = IGNORE_INDEX,
): { readonly sum: number; readonly count: number } {
  const rows = checkRows(logits, vocabSize);
  if (rows !== labels.length) throw new RangeError(`${rows} logit rows for ${labels.length} labels`);
  let sum = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const label = Number(labels[r]);
    if (label === ignoreIndex) continue;
    if (!Number.isInteger(label) || label < 0 || label >= vocabSize)
      throw new RangeError(`label ${label} at row ${r} is outside [0, ${vocabSize})`);
    const offset = r * vocabSize;
    let max = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < vocabSize; v++) {
      const x = logits[offset + v]!;
      if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) throw new RangeError(`logit row ${r} has ${x}`);
      if (x > max) max = x;
    }
    if (max === Number.NEGATIVE_INFINITY) throw new RangeError(`logit row ${r} is all -Infinity`);
    let expSum = 0;
    for (let v = 0; v < vocabSize; v++) expSum += Math.exp(logits[offset + v]! - max);
    // (max − x) + log Σ ≥ 0 term by term, so rounding cannot make the NLL negative.
    sum += max - logits[offset + label]! + Math.log(expSum);
    count++;
  }
  return { sum, count };
}

export interface MlmBatch {
  /** Label per position; `ignoreIndex` where nothing was masked. */
  readonly labels: TokenIds;
  /** Predicted id per position (argmax of the logits), for accuracy. */
  readonly predictions?: TokenIds;
  /**
   * The batch's mean NLL over its labelled positions (what SoftmaxCrossEntropyLoss with `mean` and
   * `ignore_index` returns), for perplexity; weighted by the batch's labelled-token count. A loss with label
   * smoothing is not an NLL and gives no perplexity.
   */
  readonly meanLoss?: number;
}

export interface MlmEvaluation {
  readonly batches: number;
  /** Labelled positions of the batches that gave predictions. */
  readonly predictedTokens: number;
  readonly correct: number;
  /** correct / predictedTokens; NaN when no prediction was added. */
  readonly accuracy: number;
  /** Labelled positions of the batches that gave a loss or logits. */
  readonly lossTokens: number;
  /** NaN when no loss was added. */
  readonly meanNll: number;
  /** exp(meanNll); NaN when no loss was added, Infinity past float64 range. */
  readonly perplexity: number;
}

/** Streaming masked-LM evaluation: add batches, read the corpus-level result at any point. */
export class MlmMetricsAccumulator {
  readonly ignoreIndex: number;
  #batches = 0;
  #predictedTokens = 0;
  #correct = 0;
  #lossTokens = 0;
  #nllSum = 0;

  constructor(options: { readonly ignoreIndex?: number } = {}) {
    this.ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  }

  /** Adds a batch's predictions and/or mean loss; at least one of the two. */
  add(batch: MlmBatch): this {
    const { labels, predictions, meanLoss } = batch;
    if (predictions === undefined && meanLoss === undefined)
      throw new TypeError('an MLM batch needs predictions, meanLoss or both');
    const labelled = countLabelled(labels, this.ignoreIndex);
    if (meanLoss !== undefined && labelled > 0) {
      // With no labelled token the loss is 0/0 (NaN from ONNX Runtime) and carries no weight.
      if (Number.isNaN(meanLoss) || meanLoss < 0)
        throw new RangeError(`meanLoss must be >= 0, got ${meanLoss}`);
      this.#nllSum += meanLoss * labelled;
      this.#lossTokens += labelled;
    }
    if (predictions !== undefined) this.#addAccuracy(maskedAccuracy(predictions, labels, this.ignoreIndex));
    this.#batches++;
    return this;
  }

  /** Adds a batch of logits [rows, vocabSize] with one label per row: both accuracy and NLL. */
  addLogits(logits: ArrayLike<number>, labels: TokenIds, vocabSize: number): this {
    const nll = tokenNll(logits, labels, vocabSize, this.ignoreIndex);
    this.#addAccuracy(maskedAccuracy(argmaxRows(logits, vocabSize), labels, this.ignoreIndex));
    this.#nllSum += nll.sum;
    this.#lossTokens += nll.count;
    this.#batches++;
    return this;
  }

  result(): MlmEvaluation {
    const meanNll = this.#nllSum / this.#lossTokens;
    return {
      batches: this.#batches,
      predictedTokens: this.#predictedTokens,
      correct: this.#correct,
      accuracy: this.#correct / this.#predictedTokens,
      lossTokens: this.#lossTokens,
      meanNll,
      perplexity: this.#lossTokens === 0 ? Number.NaN : perplexity(meanNll),
    };
  }

  reset(): void {
    this.#batches = 0;
    this.#predictedTokens = 0;
    this.#correct = 0;
    this.#lossTokens = 0;
    this.#nllSum = 0;
  }

  #addAccuracy(accuracy: AccuracyResult): void {
    this.#predictedTokens += accuracy.total;
    this.#correct += accuracy.correct;
  }
}

function countLabelled(labels: TokenIds, ignoreIndex: number): number {
  let count = 0;
  for (let i = 0; i < labels.length; i++) if (Number(labels[i]) !== ignoreIndex) count++;
  return count;
}
