/** Test helpers for end-to-end runs: small training settings and synthetic corpora with predictable words. */
import { runConfigFromFlags } from '../../src/cli/commands/train.js';
import type { RunConfig } from '../../src/run-folder/run-config.js';
import type { Rng } from '../../src/util/rng.js';

type TrainFlags = Parameters<typeof runConfigFromFlags>[0];

/** Raw `tlc train` flags for a seconds-long run of a tiny model; `overrides` use the CLI's flag names. */
export function tinyFlags(overrides: Record<string, unknown>): TrainFlags {
  const flags = {
    task: 'mlm',
    maxLength: '32',
    dropout: '0',
    activation: 'gelu',
    vocabSize: '300',
    batchTokens: '512',
    accumulate: '1',
    lr: '3e-3',
    warmup: '20',
    schedule: 'linear',
    weightDecay: '0.01',
    clipNorm: '1',
    labelSmoothing: '0.1',
    evalEvery: '100',
    evalTokens: '4096',
    evalSentences: '40',
    seed: '1',
    device: 'cpu',
    threads: '2',
    width: '48',
    layers: '2',
    heads: '2',
    ...overrides,
  };
  return flags as unknown as TrainFlags;
}

/** The validated run settings for those flags. */
export function tinyRun(overrides: Record<string, unknown>): RunConfig {
  return runConfigFromFlags(tinyFlags(overrides));
}

/**
 * Documents of runs of consecutive words from `words`, wrapping around (a masked word follows from its
 * neighbours), joined by `separator` (`\n---\n` makes separate documents for the text-file loader).
 */
export function countingText(
  rng: Rng,
  words: readonly string[],
  documents: number,
  length: () => number,
  separator = '\n---\n',
): string {
  return Array.from({ length: documents }, () => {
    const start = rng.int(words.length);
    const n = length();
    return Array.from({ length: n }, (_, i) => words[(start + i) % words.length]).join(' ');
  }).join(separator);
}
