/**
 * Byte-level BPE training, the algorithm of HF tokenizers' `BpeTrainer` (tokenizers/src/models/bpe/trainer.rs)
 * with the byte-level alphabet, so that the same corpus gives the same vocabulary and merges as
 * `tokenizers.trainers.BpeTrainer(initial_alphabet=ByteLevel.alphabet())` with a `ByteLevel` pre-tokenizer:
 *
 * 1. count pre-tokenized pieces; every distinct piece becomes a "word" of byte-symbol ids with a weight;
 * 2. count adjacent pairs over all words (weighted), remembering which words hold each pair;
 * 3. repeatedly pop the most frequent pair from a max-heap (ties: smaller left id, then smaller right id),
 *    re-checking it against the live count (entries go stale as merges change counts: lazy deletion), and merge
 *    it in just the words that held it, updating the counts of the pairs around each occurrence.
 *
 * Each merge touches only the words containing the pair, so training costs about the number of pair
 * occurrences rewritten, not (merges × corpus). Counting the text (regex + hash map) dominates on real corpora.
 */
import { TlcError } from '../errors/index.js';
import { BYTE_ALPHABET, BYTE_TO_CHAR } from './byte-level.js';
import { type CountProgress, countWords } from './count-words.js';
import { type BpeModel, DEFAULT_SPECIAL_TOKENS } from './model.js';
import { PairHeap } from './pair-heap.js';

export interface MergeProgress {
  readonly stage: 'merge';
  readonly merges: number;
  /** Tokens in the vocabulary so far (specials, bytes and merge results). */
  readonly vocabSize: number;
  readonly targetVocabSize: number;
}

export type TrainProgress = CountProgress | MergeProgress;

export interface TrainBpeOptions {
  /** Final vocabulary size, special tokens and the 256 byte symbols included (default 8000). */
  readonly vocabSize?: number;
  /** A pair is merged only if it occurs at least this often (default 2). */
  readonly minFrequency?: number;
  /** Special tokens, ids 0… in this order (default RoBERTa's `<s> <pad> </s> <unk> <mask>`). */
  readonly specialTokens?: readonly string[];
  readonly onProgress?: (progress: TrainProgress) => void;
}

/** Largest vocabulary: pair keys `left * vocabSize + right` stay exact doubles below 2^48. */
const MAX_VOCAB_SIZE = 1 << 24;
const MERGE_PROGRESS_EVERY = 1000;

interface ResolvedOptions {
  readonly vocabSize: number;
  readonly minFrequency: number;
  readonly specialTokens: readonly string[];
  readonly onProgress: ((progress: TrainProgress) => void) | undefined;
}

function resolveOptions(options: TrainBpeOptions): ResolvedOptions {
  const vocabSize = options.vocabSize ?? 8000;
  const minFrequency = options.minFrequency ?? 2;
  const specialTokens = options.specialTokens ?? DEFAULT_SPECIAL_TOKENS;
  for (const token of specialTokens) {
    if (token.length === 0) throw new TlcError('CONFIG_INVALID', 'special tokens must not be empty strings');
    if (token.length === 1 && BYTE_TO_CHAR.includes(token))
      throw new TlcError('CONFIG_INVALID', `special token '${token}' is one of the 256 byte symbols`);
  }
  if (new Set(specialTokens).size !== specialTokens.length)
    throw new TlcError('CONFIG_INVALID', `special tokens repeat: ${specialTokens.join(' ')}`);
  const floor = specialTokens.length + 256;
  if (Number.isInteger(vocabSize) && vocabSize < floor)
    throw new TlcError(
      'CONFIG_INVALID',
      `vocabSize ${vocabSize} is too small: it must be at least ${floor} ` +
        `(${specialTokens.length} special tokens + 256 byte symbols)`,
    );
  if (!Number.isInteger(vocabSize) || vocabSize > MAX_VOCAB_SIZE)
    throw new TlcError(
      'CONFIG_INVALID',
      `vocabSize must be an integer from ${floor} to ${MAX_VOCAB_SIZE}, got ${vocabSize}`,
    );
  if (!Number.isInteger(minFrequency) || minFrequency < 0)
    throw new TlcError('CONFIG_INVALID', `minFrequency must be a non-negative integer, got ${minFrequency}`);
  return { vocabSize, minFrequency, specialTokens, onProgress: options.onProgress };
}

/** Trains a byte-level BPE model on `texts` (each text is pre-tokenized on its own). */
export function trainBpe(texts: Iterable<string>, options: TrainBpeOptions = {}): BpeModel {
  const resolved = resolveOptions(options);
  return mergeWords(countWords(texts, resolved.onProgress), resolved);
}

/** Trains from piece counts already made with `countWords` (e.g. summed over several corpora). */
export function trainBpeFromCounts(
  counts: ReadonlyMap<string, number>,
  options: TrainBpeOptions = {},
): BpeModel {
  return mergeWords(counts, resolveOptions(options));
}

function mergeWords(counts: ReadonlyMap<string, number>, options: ResolvedOptions): BpeModel {
  const { vocabSize, minFrequency, specialTokens, onProgress } = options;
  const tokens: string[] = [...specialTokens, ...BYTE_ALPHABET];
  const vocab = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const byteId = new Int32Array(256);
  for (let b = 0; b < 256; b++) byteId[b] = vocab.get(BYTE_TO_CHAR[b]!)!;

  // Words as byte-symbol ids, rewritten in place by merges (length in `lengths`).
  const utf8 = new TextEncoder();
  const words: Int32Array[] = [];
  const weights: number[] = [];
  for (const [piece, count] of counts) {
    const bytes = utf8.encode(piece);
    const word = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) word[i] = byteId[bytes[i]!]!;
    words.push(word);
    weights.push(count);
  }
  const lengths = Int32Array.from(words, (w) => w.length);

  const base = vocabSize;
  const corpus: Corpus = { words, lengths, weights, base };
  const { pairCounts, initial } = countPairs(corpus);
  const heap = new PairHeap();
  let age = 0;
  for (const [pair, holders] of initial) {
    const count = pairCounts.get(pair)!;
    if (count > 0) heap.push({ count, pair, age: age++, words: holders });
  }
  initial.clear();

  const merges: (readonly [string, string])[] = [];
  const report = () =>
    onProgress?.({
      stage: 'merge',
      merges: merges.length,
      vocabSize: tokens.length,
      targetVocabSize: vocabSize,
    });

  while (tokens.length < vocabSize) {
    const top = heap.pop();
    if (top === undefined) break;
    const live = pairCounts.get(top.pair)!;
    if (top.count !== live) {
      top.count = live;
      heap.push(top);
      continue;
    }
    if (top.count < 1 || top.count < minFrequency) break;

    const a = Math.floor(top.pair / base);
    const b = top.pair - a * base;
    const left = tokens[a]!;
    const right = tokens[b]!;
    const merged = left + right;
    let c = vocab.get(merged);
    if (c === undefined) {
      c = tokens.length;
      tokens.push(merged);
      vocab.set(merged, c);
    }
    merges.push([left, right]);

    const created = mergeInWords(corpus, top.words, a, b, c, pairCounts);
    for (const [pair, holders] of created) {
      const count = pairCounts.get(pair)!;
      if (count > 0) heap.push({ count, pair, age: age++, words: holders });
    }
    if (merges.length % MERGE_PROGRESS_EVERY === 0) report();
  }
  report();

  return {
    tokens: Object.freeze(tokens),
    vocab,
    merges: Object.freeze(merges),
    specialTokens: Object.freeze([...specialTokens]),
  };
}

/** Every adjacent pair's weighted count, and the words holding each pair. */
function countPairs(corpus: Corpus): { pairCounts: Map<number, number>; initial: Map<number, number[]> } {
  const { words, weights, base } = corpus;
  const pairCounts = new Map<number, number>();
  const initial = new Map<number, number[]>();
  for (let w = 0; w < words.length; w++) {
    const word = words[w]!;
    const weight = weights[w]!;
    for (let i = 0; i + 1 < word.length; i++) {
      const key = word[i]! * base + word[i + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + weight);
      addWord(initial, key, w);
    }
  }
  return { pairCounts, initial };
}

/** The words being merged: symbol ids rewritten in place (live length in `lengths`), their counts, the key base. */
interface Corpus {
  readonly words: Int32Array[];
  readonly lengths: Int32Array;
  readonly weights: readonly number[];
  /** Pair keys are `left * base + right`. */
  readonly base: number;
}

/**
 * Replaces (a, b) by c in the words holding that pair and updates the neighbouring pairs' counts; returns the
 * new pairs with the words holding them, for the heap.
 */
function mergeInWords(
  corpus: Corpus,
  holders: readonly number[],
  a: number,
  b: number,
  c: number,
  pairCounts: Map<number, number>,
): Map<number, number[]> {
  // Rewrite each word, left to right, non-overlapping (HF's Word::merge): for an occurrence with a symbol p
  // before it, (p, a) loses and (p, c) gains; with a symbol n after it, (b, n) loses and (c, n) gains.
  // (a, b)'s own count is left as it is, like HF's; its entry has just left the heap.
  const { words, lengths, weights, base } = corpus;
  const created = new Map<number, number[]>();
  for (const w of holders) {
    const word = words[w]!;
    const n = lengths[w]!;
    const weight = weights[w]!;
    let out = 0;
    let i = 0;
    while (i < n) {
      const s = word[i]!;
      if (s === a && i + 1 < n && word[i + 1] === b) {
        if (out > 0) {
          const p = word[out - 1]! * base;
          bump(pairCounts, p + a, -weight);
          bump(pairCounts, p + c, weight);
          addWord(created, p + c, w);
        }
        if (i + 2 < n) {
          const next = word[i + 2]!;
          bump(pairCounts, b * base + next, -weight);
          bump(pairCounts, c * base + next, weight);
          addWord(created, c * base + next, w);
        }
        word[out++] = c;
        i += 2;
      } else {
        word[out++] = s;
        i++;
      }
    }
    lengths[w] = out;
  }
  return created;
}

function bump(counts: Map<number, number>, key: number, delta: number): void {
  counts.set(key, (counts.get(key) ?? 0) + delta);
}

/** Records word `w` as holding `key`; words are visited one at a time, so a repeat is always the last entry. */
function addWord(index: Map<number, number[]>, key: number, w: number): void {
  const holders = index.get(key);
  if (holders === undefined) index.set(key, [w]);
  else if (holders[holders.length - 1] !== w) holders.push(w);
}
