/**
 * A tiny trained and exported translation model for end-to-end tests: a word-for-word synthetic language
 * (every English word has one French word), learned well enough in seconds that greedy translations score
 * high BLEU, so that search and compression differences show in real numbers.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportRun } from '../../src/export/export-run.js';
import { runTraining } from '../../src/train/run/loop.js';
import { Rng } from '../../src/util/rng.js';
import { tinyRun } from './train.js';

export const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
export const FRENCH = ['alphe', 'bravoure', 'charles', 'delte', 'écho', 'renard', 'golfe', 'hôtel'];

/** `count` random sentences of 2–7 words and their word-for-word translations. */
export function syntheticPairs(seed: number, count: number): { source: string; target: string }[] {
  const rng = Rng.seeded(seed);
  return Array.from({ length: count }, () => {
    const idx = Array.from({ length: 2 + rng.int(6) }, () => rng.int(WORDS.length));
    return { source: idx.map((i) => WORDS[i]).join(' '), target: idx.map((i) => FRENCH[i]).join(' ') };
  });
}

export function writeTsv(path: string, pairs: readonly { source: string; target: string }[]): void {
  writeFileSync(path, `${pairs.map((p) => `${p.source}\t${p.target}`).join('\n')}\n`);
}

export interface TinyTranslation {
  /** The run folder (checkpoint, tokenizer, run.json). */
  readonly run: string;
  /** The exported model folder (encoder, decoder, decoder with past). */
  readonly model: string;
}

/** Trains a tiny translation model on synthetic pairs under `dir` and exports it. */
export async function trainTinyTranslation(dir: string, steps = 450): Promise<TinyTranslation> {
  const tsv = join(dir, 'train.tsv');
  writeTsv(tsv, syntheticPairs(1, 1500));
  const run = join(dir, 'run');
  const config = tinyRun({
    task: 'translation',
    schedule: 'constant',
    lr: '2e-3',
    maxLength: '32',
    width: '32',
    layers: '2',
    heads: '2',
    evalEvery: String(steps),
    evalTokens: '1024',
    evalSentences: '10',
    data: [tsv],
    maxSteps: String(steps),
    out: run,
  });
  await runTraining(config, { log: () => {} });
  const model = join(dir, 'model');
  await exportRun(run, model);
  return { run, model };
}
