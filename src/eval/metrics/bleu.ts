/**
 * Corpus BLEU (Papineni et al., 2002) as sacreBLEU 2.x computes it (sacrebleu/metrics/bleu.py): clipped n-gram
 * counts against the union (max count) of a segment's references, the closest reference length (the shorter
 * on a tie) for the brevity penalty, statistics summed over the corpus before the score is taken.
 * Defaults are sacreBLEU's: 4-grams, `13a` tokenization, mixed case, `exp` smoothing, no effective order.
 */
import { formatFixed, rstripWhitespace, splitWhitespace } from './python-text.js';
import { type ReferenceStreams, segmentReferences } from './references.js';
import { formatSignature } from './signature.js';
import { type BleuTokenizerName, bleuTokenizer, type Tokenizer } from './tokenizers.js';

/**
 * Chen & Cherry (2014) smoothing: `none`; `floor` (method 1) gives a zero-match order `value / total`;
 * `add-k` (method 2) adds `value` to the counts and totals of orders above 1; `exp` (method 3, mteval-v13a's)
 * gives the k-th zero-match order `1 / (2^k · total)`.
 */
export type BleuSmoothMethod = 'none' | 'floor' | 'add-k' | 'exp';

/** The value each method uses when none is given (`null`: the method takes none); upstream's table. */
export const BLEU_SMOOTH_DEFAULTS: Readonly<Record<BleuSmoothMethod, number | null>> = {
  none: null,
  floor: 0.1,
  'add-k': 1,
  exp: null,
};

export interface BleuOptions {
  /** Lowercase hypotheses and references first (signature `case:lc`). Default false. */
  readonly lowercase?: boolean;
  /** Default `13a`. */
  readonly tokenize?: BleuTokenizerName;
  /** Default `exp`. */
  readonly smoothMethod?: BleuSmoothMethod;
  /** For `floor` and `add-k`; defaults to `BLEU_SMOOTH_DEFAULTS`. */
  readonly smoothValue?: number;
  /** Default 4. Upstream's signature does not record it, and neither does this one. */
  readonly maxNgramOrder?: number;
  /** Average only over the orders the hypotheses have n-grams of (for sentence BLEU). Default false. */
  readonly effectiveOrder?: boolean;
}

/** Sufficient statistics of BLEU, summed over segments. */
export interface BleuStatistics {
  readonly sysLen: number;
  readonly refLen: number;
  /** Clipped matches per order, 1-grams first. */
  readonly counts: readonly number[];
  /** Hypothesis n-grams per order. */
  readonly totals: readonly number[];
}

/** sacreBLEU's `BLEUScore`: score and precisions in 0–100. */
export interface BleuScore extends BleuStatistics {
  readonly name: 'BLEU';
  readonly score: number;
  readonly precisions: readonly number[];
  /** Brevity penalty in [0, 1]. */
  readonly bp: number;
  /** sysLen / refLen (0 when refLen is 0). */
  readonly ratio: number;
}

export interface BleuResult extends BleuScore {
  readonly signature: string;
}

interface ResolvedBleuOptions {
  readonly lowercase: boolean;
  readonly tokenize: BleuTokenizerName;
  readonly tokenizer: Tokenizer;
  readonly smoothMethod: BleuSmoothMethod;
  readonly smoothValue: number | null;
  readonly maxNgramOrder: number;
  readonly effectiveOrder: boolean;
}

function resolveOptions(options: BleuOptions): ResolvedBleuOptions {
  const smoothMethod = options.smoothMethod ?? 'exp';
  if (!Object.hasOwn(BLEU_SMOOTH_DEFAULTS, smoothMethod))
    throw new RangeError(`Unknown BLEU smoothing method '${smoothMethod}' (known: none, floor, add-k, exp)`);
  const maxNgramOrder = options.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxNgramOrder) || maxNgramOrder < 1)
    throw new RangeError(`maxNgramOrder must be a positive integer, got ${maxNgramOrder}`);
  const smoothDefault = BLEU_SMOOTH_DEFAULTS[smoothMethod];
  const smoothValue = smoothDefault === null ? null : (options.smoothValue ?? smoothDefault);
  if (smoothValue !== null && !(Number.isFinite(smoothValue) && smoothValue >= 0))
    throw new RangeError(`smoothValue must be a finite number >= 0, got ${smoothValue}`);
  const tokenize = options.tokenize ?? '13a';
  return {
    lowercase: options.lowercase ?? false,
    tokenize,
    tokenizer: bleuTokenizer(tokenize),
    smoothMethod,
    smoothValue,
    maxNgramOrder,
    effectiveOrder: options.effectiveOrder ?? false,
  };
}

/** sacreBLEU's `_preprocess_segment`: optional lowercasing, then the tokenizer on the right-stripped line. */
function preprocess(line: string, o: ResolvedBleuOptions): string[] {
  // `toLowerCase` agrees with Python's `str.lower` on every code point of CPython 3.11's Unicode 14.
  const cased = o.lowercase ? line.toLowerCase() : line;
  return splitWhitespace(o.tokenizer(rstripWhitespace(cased)));
}

/** N-gram counts, one map per order (1-grams first); tokens hold no whitespace, so space-joined keys are unique. */
function countNgrams(tokens: readonly string[], maxOrder: number): Map<string, number>[] {
  const byOrder: Map<string, number>[] = [];
  for (let n = 1; n <= maxOrder; n++) {
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= tokens.length; i++) {
      const key = tokens.slice(i, i + n).join(' ');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    byOrder.push(counts);
  }
  return byOrder;
}

/** The reference length closest to the hypothesis length, the shorter one on a tie (upstream's rule). */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let best = -1;
  let bestDiff = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && len < best)) {
      bestDiff = diff;
      best = len;
    }
  }
  return best;
}

/** BLEU's sufficient statistics of a corpus, summed over its segments. */
export function bleuStatistics(
  hypotheses: readonly string[],
  references: ReferenceStreams,
  options: BleuOptions = {},
): BleuStatistics & { readonly nrefs: number | 'var' } {
  const o = resolveOptions(options);
  const { perSegment, nrefs } = segmentReferences(hypotheses, references);
  const order = o.maxNgramOrder;
  const counts = new Array<number>(order).fill(0);
  const totals = new Array<number>(order).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hypothesis, i) => {
    // A reference n-gram may be matched as often as it occurs in the reference that has it most often.
    const refNgrams = Array.from({ length: order }, () => new Map<string, number>());
    const refLens: number[] = [];
    for (const ref of perSegment[i] ?? []) {
      const tokens = preprocess(ref, o);
      refLens.push(tokens.length);
      countNgrams(tokens, order).forEach((ngrams, n) => {
        const merged = refNgrams[n]!;
        for (const [ngram, count] of ngrams) merged.set(ngram, Math.max(merged.get(ngram) ?? 0, count));
      });
    }
    const tokens = preprocess(hypothesis, o);
    sysLen += tokens.length;
    refLen += closestRefLen(tokens.length, refLens);
    countNgrams(tokens, order).forEach((ngrams, n) => {
      const refs = refNgrams[n]!;
      for (const [ngram, count] of ngrams) {
        totals[n]! += count;
        counts[n]! += Math.min(count, refs.get(ngram) ?? 0);
      }
    });
  });
  return { sysLen, refLen, counts, totals, nrefs };
}

/** Upstream's `my_log`: log, with log(0) floored to -9999999999 so a zero precision gives a zero score. */
function flooredLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/**
 * BLEU from summed statistics, sacreBLEU's `compute_bleu`, including its quirks: no match at all gives 0
 * before any smoothing (sacreBLEU #141), and an order without hypothesis n-grams stops the loop and (without
 * effective order) counts as a zero precision. Unlike upstream, `counts` and `totals` come back as measured:
 * upstream returns them with the `add-k` constant added in place.
 */
export function computeBleu(stats: BleuStatistics, options: BleuOptions = {}): BleuScore {
  const o = resolveOptions(options);
  const order = o.maxNgramOrder;
  if (stats.counts.length !== order || stats.totals.length !== order)
    throw new RangeError(`statistics have ${stats.counts.length} orders, maxNgramOrder is ${order}`);
  const { sysLen, refLen } = stats;
  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const ratio = refLen ? sysLen / refLen : 0;
  const precisions = new Array<number>(order).fill(0);
  const base = {
    name: 'BLEU' as const,
    counts: [...stats.counts],
    totals: [...stats.totals],
    sysLen,
    refLen,
    bp,
    ratio,
  };
  if (!stats.counts.some((c) => c !== 0)) return { ...base, score: 0, precisions };

  const k = o.smoothValue ?? 0;
  let smoothMteval = 1;
  let effOrder = order;
  for (let n = 1; n <= order; n++) {
    let correct = stats.counts[n - 1]!;
    let total = stats.totals[n - 1]!;
    if (o.smoothMethod === 'add-k' && n > 1) {
      correct += k;
      total += k;
    }
    if (total === 0) break;
    if (o.effectiveOrder) effOrder = n;
    if (correct === 0) {
      if (o.smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total);
      } else if (o.smoothMethod === 'floor') {
        precisions[n - 1] = (100 * k) / total;
      }
    } else {
      precisions[n - 1] = (100 * correct) / total;
    }
  }
  let logSum = 0;
  for (const p of precisions.slice(0, effOrder)) logSum += flooredLog(p);
  return { ...base, score: bp * Math.exp(logSum / effOrder), precisions };
}

/** sacreBLEU's BLEU signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:tlc`. */
export function bleuSignature(options: BleuOptions, nrefs: number | 'var'): string {
  const o = resolveOptions(options);
  const smooth =
    o.smoothValue === null ? o.smoothMethod : `${o.smoothMethod}[${formatFixed(o.smoothValue, 2)}]`;
  return formatSignature([
    ['nrefs', nrefs],
    ['case', o.lowercase ? 'lc' : 'mixed'],
    ['eff', o.effectiveOrder ? 'yes' : 'no'],
    ['tok', o.tokenize],
    ['smooth', smooth],
  ]);
}

/**
 * Corpus BLEU of `hypotheses` against reference streams (`references[k][i]`: the k-th reference of segment i),
 * sacreBLEU's `BLEU(...).corpus_score(hypotheses, references)`.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: ReferenceStreams,
  options: BleuOptions = {},
): BleuResult {
  const { nrefs, ...stats } = bleuStatistics(hypotheses, references, options);
  return { ...computeBleu(stats, options), signature: bleuSignature(options, nrefs) };
}

/**
 * BLEU of one segment against its references. Effective order is on unless turned off, as in sacreBLEU's
 * `sentence_bleu` (its `BLEU` class defaults to off and warns); sentence BLEU is no estimate of corpus BLEU.
 */
export function sentenceBleu(
  hypothesis: string,
  references: readonly string[],
  options: BleuOptions = {},
): BleuResult {
  const merged = { ...options, effectiveOrder: options.effectiveOrder ?? true };
  return corpusBleu(
    [hypothesis],
    references.map((ref) => [ref]),
    merged,
  );
}

/**
 * sacreBLEU's printed line: `BLEU|<signature> = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944
 * hyp_len = 17 ref_len = 18)`, the signature part only when one is given.
 */
export function formatBleu(score: BleuScore, signature = '', width = 2): string {
  const precisions = score.precisions.map((p) => formatFixed(p, 1)).join('/');
  const head = signature ? `${score.name}|${signature}` : score.name;
  return (
    `${head} = ${formatFixed(score.score, width)} ${precisions} (BP = ${formatFixed(score.bp, 3)} ` +
    `ratio = ${formatFixed(score.ratio, 3)} hyp_len = ${score.sysLen} ref_len = ${score.refLen})`
  );
}
