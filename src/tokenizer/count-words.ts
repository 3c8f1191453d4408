/**
 * The first pass of BPE training: how often each pre-tokenized piece occurs. Pieces are kept as text (not yet
 * byte-level): the byte-level mapping is one-to-one, so it is applied once per distinct piece, later.
 */
import { preTokenize } from './pre-tokenize.js';

export interface CountProgress {
  readonly stage: 'count';
  /** Texts read so far. */
  readonly texts: number;
  /** Distinct pieces seen so far. */
  readonly distinct: number;
}

/** Counts pieces over all texts; `onProgress` is called every `every` texts and once at the end. */
export function countWords(
  texts: Iterable<string>,
  onProgress?: (progress: CountProgress) => void,
  every = 10_000,
): Map<string, number> {
  const counts = new Map<string, number>();
  let n = 0;
  for (const text of texts) {
    for (const piece of preTokenize(text)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    n++;
    if (onProgress && n % every === 0) onProgress({ stage: 'count', texts: n, distinct: counts.size });
  }
  onProgress?.({ stage: 'count', texts: n, distinct: counts.size });
  return counts;
}
