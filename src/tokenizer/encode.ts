/**
 * TLC's own byte-level BPE encoder: special tokens cut out, GPT-2 pre-tokenization, byte-level symbols, then
 * the learned merges applied by rank inside each piece (lowest rank first; equal ranks — the same pair twice —
 * leftmost first), exactly as HF tokenizers and tokenizers.js do. It is the reference the tests hold
 * @huggingface/tokenizers to, and the fast path for encoding training corpora (no post-processor: callers add
 * `<s>` / `</s>` themselves).
 */
import { TlcError } from '../errors/index.js';
import { BYTE_TO_CHAR } from './byte-level.js';
import type { BpeModel } from './model.js';
import { preTokenize } from './pre-tokenize.js';
import { SpecialSplitter, type SpecialToken, specialTokensOf } from './special-split.js';

/** Words cached per encoder; the cache is emptied when full (corpora have long tails of rare words). */
const CACHE_LIMIT = 200_000;

export class MergeEncoder {
  private readonly base: number;
  /** Pair key `left * base + right` → rank; a pair listed twice keeps its later rank, as HF's loaders do. */
  private readonly ranks = new Map<number, number>();
  /** Merge result id by rank. */
  private readonly results: Int32Array;
  private readonly byteIds = new Int32Array(256);
  private readonly splitter: SpecialSplitter;
  private readonly cache = new Map<string, readonly number[]>();
  private readonly utf8 = new TextEncoder();

  /** `special` defaults to the model's special tokens with RoBERTa's flags (`<mask>` strips left). */
  constructor(
    model: Pick<BpeModel, 'vocab' | 'merges' | 'specialTokens'>,
    special?: readonly SpecialToken[],
  ) {
    const { vocab, merges } = model;
    let maxId = vocab.size - 1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.base = maxId + 1;
    for (let b = 0; b < 256; b++) {
      const id = vocab.get(BYTE_TO_CHAR[b]!);
      if (id === undefined)
        throw new TlcError(
          'TOKENIZER_FAILED',
          `byte symbol '${BYTE_TO_CHAR[b]}' (byte ${b}) is not in the vocabulary`,
        );
      this.byteIds[b] = id;
    }
    this.results = new Int32Array(merges.length);
    merges.forEach(([left, right], rank) => {
      const l = vocab.get(left);
      const r = vocab.get(right);
      const m = vocab.get(left + right);
      if (l === undefined || r === undefined || m === undefined)
        throw new TlcError(
          'TOKENIZER_FAILED',
          `merge ${rank} '${left} ${right}' uses or makes a token not in the vocabulary`,
        );
      this.ranks.set(l * this.base + r, rank);
      this.results[rank] = m;
    });
    this.splitter = new SpecialSplitter(special ?? specialTokensOf(model));
  }

  /** Ids of `text` without a post-processor (no `<s>` / `</s>` added). */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const section of this.splitter.split(text)) {
      if ('special' in section) ids.push(section.special.id);
      else
        for (const piece of preTokenize(section.text)) for (const id of this.encodePiece(piece)) ids.push(id);
    }
    return ids;
  }

  /** Ids of one pre-tokenized piece. */
  encodePiece(piece: string): readonly number[] {
    const cached = this.cache.get(piece);
    if (cached !== undefined) return cached;
    const bytes = this.utf8.encode(piece);
    const symbols: number[] = new Array<number>(bytes.length);
    for (let i = 0; i < bytes.length; i++) symbols[i] = this.byteIds[bytes[i]!]!;
    const ids = this.merge(symbols);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(piece, ids);
    return ids;
  }

  /**
   * Applies merges in rank order. Each round finds the lowest-ranked adjacent pair and merges all its
   * occurrences left to right; a merge never re-creates its own pair (the result is longer than either side),
   * so this equals merging one occurrence at a time, leftmost first.
   */
  private merge(symbols: number[]): number[] {
    let n = symbols.length;
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < n; i++) {
        const rank = this.ranks.get(symbols[i]! * this.base + symbols[i + 1]!);
        if (rank !== undefined && (best < 0 || rank < best)) best = rank;
      }
      if (best < 0) break;
      const c = this.results[best]!;
      let out = 0;
      for (let i = 0; i < n; i++) {
        if (i + 1 < n && this.ranks.get(symbols[i]! * this.base + symbols[i + 1]!) === best) {
          symbols[out++] = c;
          i++;
        } else symbols[out++] = symbols[i]!;
      }
      n = out;
    }
    symbols.length = n;
    return symbols;
  }
}

const encoders = new WeakMap<object, MergeEncoder>();

/** Encodes `text` with `model`'s merges (the encoder for each model is built once and kept while it lives). */
export function encodeWithMerges(model: BpeModel, text: string): number[] {
  let encoder = encoders.get(model);
  if (encoder === undefined) {
    encoder = new MergeEncoder(model);
    encoders.set(model, encoder);
  }
  return encoder.encode(text);
}
