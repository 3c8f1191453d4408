/**
 * The experiments, one command each (the paper's claims at this machine's scale):
 *   npm run bench:exp -- a            A: perplexity against time and steps, presets trained for one budget
 *   npm run bench:exp -- b            B: accuracy against non-zero parameters under pruning 0–90%
 *   npm run bench:exp -- c            C: accuracy against size for fp32, int8, q8, q4
 *   npm run bench:exp -- d            D: accuracy against served latency, all variants, Pareto frontier
 *   npm run bench:exp -- e            E: the same for English→French translation (BLEU)
 *   npm run bench:exp -- f            F: classifiers fine-tuned from the MLM pair, pruned and quantized
 *   npm run bench:exp -- all          A–F in order
 *   npm run bench:exp -- report       the written results as markdown (plots, tables, commands)
 * Options: --quick (minutes instead of hours), --out DIR (results; default docs/results, quick:
 * .cache/experiments/quick/results), --work DIR (runs and model folders, cached between experiments),
 * --presets a,b,c,d, --budget 10m, --translation-budget 15m, --threads 2.
 * The full study trains 4 MLM presets for 10 minutes each, one after the other with 2 threads (40 minutes), then
 * compresses, scores and times every variant; E compresses the shipped translation pair (models/enfr-small,
 * models/enfr-large) and trains two translation presets only when those are absent.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { experimentA } from './exp-a.js';
import { experimentB } from './exp-b.js';
import { experimentC } from './exp-c.js';
import { experimentD } from './exp-d.js';
import { experimentE } from './exp-e.js';
import { experimentF } from './exp-f.js';
import { resultsMarkdown } from './markdown.js';
import type { ExperimentResult } from './results.js';
import { FULL, QUICK, ROOT, type StudyOptions } from './study.js';

export const EXPERIMENTS: Readonly<Record<string, (o: StudyOptions) => Promise<ExperimentResult>>> = {
  a: experimentA,
  b: experimentB,
  c: experimentC,
  d: experimentD,
  e: experimentE,
  f: experimentF,
};

export interface StudyFlags {
  quick?: boolean;
  out?: string;
  work?: string;
  presets?: string;
  budget?: string;
  'translation-budget'?: string;
  threads?: string;
}

export function studyOptions(flags: StudyFlags, log: (m: string) => void): StudyOptions {
  const base = flags.quick ? QUICK : FULL;
  const work = resolve(flags.work ?? join(ROOT, '.cache', 'experiments', flags.quick ? 'quick' : 'full'));
  const out = resolve(flags.out ?? (flags.quick ? join(work, 'results') : join(ROOT, 'docs', 'results')));
  mkdirSync(out, { recursive: true });
  const threads = flags.threads === undefined ? base.threads : Number(flags.threads);
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`--threads must be an integer ≥ 1, got ${flags.threads}`);
  return {
    ...base,
    out,
    work,
    log,
    threads,
    ...(flags.presets && { presets: flags.presets.split(',').map((p) => p.trim()) }),
    ...(flags.budget && { budget: flags.budget }),
    ...(flags['translation-budget'] && { translationBudget: flags['translation-budget'] }),
  };
}

export const STUDY_FLAGS = {
  quick: { type: 'boolean' },
  out: { type: 'string' },
  work: { type: 'string' },
  presets: { type: 'string' },
  budget: { type: 'string' },
  'translation-budget': { type: 'string' },
  threads: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(): Promise<void> {
  const { values: flags, positionals } = parseArgs({ options: STUDY_FLAGS, allowPositionals: true });
  const which = positionals[0] ?? '';
  if (which === 'report') {
    const o = studyOptions(flags, () => {});
    process.stdout.write(resultsMarkdown(o.out, join(ROOT, 'docs')));
    return;
  }
  if (flags.help || !(which === 'all' || which in EXPERIMENTS)) {
    process.stderr.write(
      'usage: npm run bench:exp -- <a|b|c|d|e|f|all|report> [--quick] [--out DIR] [--work DIR] [--presets list] [--budget 12m] [--translation-budget 15m] [--threads 2]\n',
    );
    process.exitCode = flags.help ? 0 : 2;
    return;
  }
  const o = studyOptions(flags, (m) => process.stderr.write(`${m}\n`));
  for (const id of which === 'all' ? Object.keys(EXPERIMENTS) : [which]) {
    const result = await EXPERIMENTS[id]!(o);
    process.stderr.write(
      `experiment ${id.toUpperCase()}: ${result.plots.map((p) => join(o.out, p.file)).join(', ')} and ${join(o.out, `${id}.json`)} (${result.seconds.toFixed(0)} s)\n`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
