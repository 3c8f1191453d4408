/**
 * chrF (Popović, 2015) and chrF++ (Popović, 2017) as sacreBLEU 2.x computes them (sacrebleu/metrics/chrf.py):
 * character n-grams of orders 1..charOrder (whitespace removed, no tokenization), plus word n-grams of orders
 * 1..wordOrder for chrF++; per order [hypothesis, reference, match] counts, taken from the reference with the
 * best segment F-score, summed over the corpus; then an F-beta score. Defaults are sacreBLEU's: chrF2
 * (charOrder 6, wordOrder 0, beta 2), mixed case, and its default effective-order averaging (`eff:yes`);
 * `epsSmoothing` gives chrF++.py / NLTK / Moses' averaging instead (`eff:no`).
 */
import { codePoints, formatFixed, removeWhitespace, splitWhitespace } from './python-text.js';
import { type ReferenceStreams, segmentReferences } from './references.js';
import { formatSignature } from './signature.js';

export interface ChrfOptions {
  /** Character n-gram order. Default 6. */
  readonly charOrder?: number;
  /** Word n-gram order; 2 gives chrF++. Default 0. */
  readonly wordOrder?: number;
  /** Weight of recall over precision. Default 2. */
  readonly beta?: number;
  /** Default false. */
  readonly lowercase?: boolean;
  /** Keep whitespace inside character n-grams. Default false. */
  readonly whitespace?: boolean;
  /**
   * Average per-order F-scores, with 1e-16 standing in for an undefined precision, recall or F (chrF++.py,
   * NLTK, Moses). Default false: sacreBLEU's default, F of the precision and recall averaged over the orders
   * both sides have n-grams of; the two differ only on very short segments.
   */
  readonly epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** `chrF2`, `chrF2++`: beta, then one `+` per word order, as sacreBLEU names it. */
  readonly name: string;
  /** 0–100. */
  readonly score: number;
  readonly charOrder: number;
  readonly wordOrder: number;
  readonly beta: number;
}

export interface ChrfResult extends ChrfScore {
  readonly signature: string;
}

type ResolvedChrfOptions = Required<ChrfOptions>;

/** Python's `string.punctuation`, which chrF++ splits off the ends of words. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

function resolveOptions(options: ChrfOptions): ResolvedChrfOptions {
  const o = {
    charOrder: options.charOrder ?? 6,
    wordOrder: options.wordOrder ?? 0,
    beta: options.beta ?? 2,
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
    epsSmoothing: options.epsSmoothing ?? false,
  };
  if (!Number.isInteger(o.charOrder) || o.charOrder < 0)
    throw new RangeError(`charOrder must be an integer >= 0, got ${o.charOrder}`);
  if (!Number.isInteger(o.wordOrder) || o.wordOrder < 0)
    throw new RangeError(`wordOrder must be an integer >= 0, got ${o.wordOrder}`);
  if (o.charOrder + o.wordOrder === 0) throw new RangeError('charOrder + wordOrder must be at least 1');
  if (!(Number.isFinite(o.beta) && o.beta > 0)) throw new RangeError(`beta must be > 0, got ${o.beta}`);
  return o;
}

function countNgrams(units: readonly string[], n: number, separator: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= units.length; i++) {
    const key = units.slice(i, i + n).join(separator);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * chrF++'s word split: whitespace tokens with one punctuation mark split off the end, or else off the start
 * (so `(hi)` gives `(hi` and `)`, sacreBLEU #124, kept for compatibility).
 */
function wordsWithPunctuationSplit(line: string): string[] {
  const words: string[] = [];
  for (const word of splitWhitespace(line)) {
    const chars = codePoints(word);
    const first = chars[0]!;
    const last = chars.at(-1)!;
    if (chars.length === 1) words.push(word);
    else if (PUNCTUATION.has(last)) words.push(word.slice(0, -1), last);
    else if (PUNCTUATION.has(first)) words.push(first, word.slice(1));
    else words.push(word);
  }
  return words;
}

/** Character n-gram counts for orders 1..charOrder, then word n-gram counts for orders 1..wordOrder. */
function extractNgrams(line: string, o: ResolvedChrfOptions): Map<string, number>[] {
  const chars = codePoints(o.whitespace ? line : removeWhitespace(line));
  const all: Map<string, number>[] = [];
  for (let n = 1; n <= o.charOrder; n++) all.push(countNgrams(chars, n, ''));
  if (o.wordOrder > 0) {
    const words = wordsWithPunctuationSplit(line);
    for (let n = 1; n <= o.wordOrder; n++) all.push(countNgrams(words, n, ' '));
  }
  return all;
}

function sumValues(counts: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const count of counts.values()) sum += count;
  return sum;
}

/**
 * One order's [hypothesis, reference, match] counts. Upstream counts no hypothesis n-grams for an order the
 * reference has none of, which keeps that order out of the effective-order average.
 */
function matchStatistics(hyp: ReadonlyMap<string, number>, ref: ReadonlyMap<string, number>): number[] {
  let hypCount = 0;
  let matches = 0;
  for (const [ngram, count] of hyp) {
    hypCount += count;
    matches += Math.min(count, ref.get(ngram) ?? 0);
  }
  return [ref.size > 0 ? hypCount : 0, sumValues(ref), matches];
}

const EPS = 1e-16;

function fScore(stats: readonly number[], o: ResolvedChrfOptions): number {
  const order = o.charOrder + o.wordOrder;
  const factor = o.beta ** 2;
  let epsScore = 0;
  let avgPrec = 0;
  let avgRec = 0;
  let effectiveOrder = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : EPS;
    const rec = nRef > 0 ? nMatch / nRef : EPS;
    const denom = factor * prec + rec;
    epsScore += denom > 0 ? ((1 + factor) * prec * rec) / denom : EPS;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder++;
    }
  }
  if (o.epsSmoothing) return (100 * epsScore) / order;
  if (effectiveOrder === 0) return 0;
  avgPrec /= effectiveOrder;
  avgRec /= effectiveOrder;
  if (avgPrec + avgRec === 0) return 0;
  // Same operation order as upstream, so scores agree to the last bit.
  const score = ((1 + factor) * avgPrec * avgRec) / (factor * avgPrec + avgRec);
  return 100 * score;
}

/** chrF's statistics summed over the corpus: 3·(charOrder + wordOrder) numbers, [hyp, ref, match] per order. */
export function chrfStatistics(
  hypotheses: readonly string[],
  references: ReferenceStreams,
  options: ChrfOptions = {},
): { readonly stats: number[]; readonly nrefs: number | 'var' } {
  const o = resolveOptions(options);
  const { perSegment, nrefs } = segmentReferences(hypotheses, references);
  const casing = (line: string): string => (o.lowercase ? line.toLowerCase() : line);
  const stats = new Array<number>(3 * (o.charOrder + o.wordOrder)).fill(0);
  hypotheses.forEach((hypothesis, i) => {
    const hypNgrams = extractNgrams(casing(hypothesis), o);
    let best: number[] = [];
    let bestF = -1;
    for (const ref of perSegment[i] ?? []) {
      const refNgrams = extractNgrams(casing(ref), o);
      const segment = hypNgrams.flatMap((hyp, n) => matchStatistics(hyp, refNgrams[n]!));
      // The first reference with the strictly highest segment F-score wins, as upstream.
      const f = fScore(segment, o);
      if (f > bestF) {
        bestF = f;
        best = segment;
      }
    }
    best.forEach((value, j) => {
      stats[j]! += value;
    });
  });
  return { stats, nrefs };
}

/** chrF from summed statistics (sacreBLEU's `_compute_f_score`), 0–100. */
export function computeChrf(stats: readonly number[], options: ChrfOptions = {}): ChrfScore {
  const o = resolveOptions(options);
  const expected = 3 * (o.charOrder + o.wordOrder);
  if (stats.length !== expected)
    throw new RangeError(`chrF needs ${expected} statistics, got ${stats.length}`);
  return {
    name: `chrF${o.beta}${'+'.repeat(o.wordOrder)}`,
    score: fScore(stats, o),
    charOrder: o.charOrder,
    wordOrder: o.wordOrder,
    beta: o.beta,
  };
}

/** sacreBLEU's chrF signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:tlc`. */
export function chrfSignature(options: ChrfOptions, nrefs: number | 'var'): string {
  const o = resolveOptions(options);
  return formatSignature([
    ['nrefs', nrefs],
    ['case', o.lowercase ? 'lc' : 'mixed'],
    ['eff', o.epsSmoothing ? 'no' : 'yes'],
    ['nc', o.charOrder],
    ['nw', o.wordOrder],
    ['space', o.whitespace ? 'yes' : 'no'],
  ]);
}

/**
 * Corpus chrF of `hypotheses` against reference streams (`references[k][i]`: the k-th reference of segment i),
 * sacreBLEU's `CHRF(...).corpus_score(hypotheses, references)`. `{ wordOrder: 2 }` gives chrF++.
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: ReferenceStreams,
  options: ChrfOptions = {},
): ChrfResult {
  const { stats, nrefs } = chrfStatistics(hypotheses, references, options);
  return { ...computeChrf(stats, options), signature: chrfSignature(options, nrefs) };
}

/** chrF of one segment against its references (sacreBLEU's `sentence_chrf`). */
export function sentenceChrf(
  hypothesis: string,
  references: readonly string[],
  options: ChrfOptions = {},
): ChrfResult {
  return corpusChrf(
    [hypothesis],
    references.map((ref) => [ref]),
    options,
  );
}

/** sacreBLEU's printed line: `chrF2|<signature> = 59.73`, the signature part only when one is given. */
export function formatChrf(score: ChrfScore, signature = '', width = 2): string {
  const head = signature ? `${score.name}|${signature}` : score.name;
  return `${head} = ${formatFixed(score.score, width)}`;
}
