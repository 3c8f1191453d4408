/**
 * Inputs of the `tlc bench` probes: random token ids above the special ones, drawn with a fixed seed. Latency
 * does not depend on the words, and every variant gets the same ones.
 */
import type { Rng } from '../util/rng.js';

/** Special tokens take the first ids of TLC's vocabularies (and of most BPE vocabularies). */
export const FIRST_WORD_ID = 5;

/** Token ids drawn in [first, vocab): above the special tokens, below the vocabulary size. */
export function randomIds(rng: Rng, n: number, first: number, vocab: number): number[] {
  return Array.from({ length: n }, () => first + rng.int(vocab - first));
}
