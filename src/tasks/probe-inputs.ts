/**
 * Inputs of the `tlc bench` probes: random token ids above the special ones, drawn with a fixed seed. Latency
 * does not depend on the words, and every variant gets the same ones.
 */
import { join } from 'node:path';
import type { TlcModelJson, VariantEntry } from '../model-folder/tlc-json.js';
import { runSession } from '../ort/session.js';
import { Rng } from '../util/rng.js';
import { encoderFeeds, probeSession } from './encoder-inputs.js';
import type { Probe, ProbeOptions } from './spec.js';

/** Special tokens take the first ids of TLC's vocabularies (and of most BPE vocabularies). */
export const FIRST_WORD_ID = 5;

/** Token ids drawn in [first, vocab): above the special tokens, below the vocabulary size. */
export function randomIds(rng: Rng, n: number, first: number, vocab: number): number[] {
  return Array.from({ length: n }, () => first + rng.int(vocab - first));
}

/** A probe's batch of `batch` × `sequence` tokens: ids seeded by the shape (the same for every variant), no padding. */
export function probeBatch(
  batch: number,
  sequence: number,
  vocab: number,
): { ids: BigInt64Array; mask: BigInt64Array } {
  const rng = Rng.seeded(batch * 1000 + sequence);
  return {
    ids: BigInt64Array.from(randomIds(rng, batch * sequence, FIRST_WORD_ID, vocab), BigInt),
    mask: new BigInt64Array(batch * sequence).fill(1n),
  };
}

/**
 * A `tlc bench` probe that times a task's one graph as a whole on `probeBatch` inputs (a classifier's logits, an
 * encoder's token states or sentence embedding): its outputs are what the task serves, nothing runs after it.
 */
export async function wholeGraphProbe(
  folder: string,
  tlc: TlcModelJson,
  variant: VariantEntry,
  o: ProbeOptions,
): Promise<Probe> {
  const { session, provider } = await probeSession(join(folder, variant.files[0]!), variant.files[0]!, o);
  const vocab = tlc.architecture.vocabSize;
  return {
    provider,
    workload(batch: number, sequence: number) {
      const { ids, mask } = probeBatch(batch, sequence, vocab);
      const feeds = encoderFeeds(session, ids, mask, [batch, sequence]);
      return async () => {
        await runSession(session, feeds);
      };
    },
    release: () => session.release(),
  } satisfies Probe;
}
