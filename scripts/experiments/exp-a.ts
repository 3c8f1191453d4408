/**
 * Experiment A (the paper's Figures 1–2 shape): validation perplexity against wall-clock training time and
 * against optimizer steps, for MLM presets of increasing size trained for the same time budget on this
 * machine, with seconds per step per preset.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Series } from './plot.js';
import { type ExperimentResult, writeResult } from './results.js';
import { presetRuns, type StudyOptions } from './study.js';

export async function experimentA(o: StudyOptions): Promise<ExperimentResult> {
  const t0 = performance.now();
  const runs = presetRuns(o, 'mlm');
  const series: Series[] = [];
  const rows: Record<string, string | number>[] = [];
  for (const run of runs) {
    const evals = run.log.filter((e) => e.validation?.perplexity !== undefined);
    const summary = JSON.parse(readFileSync(join(run.dir, 'summary.json'), 'utf8')) as {
      steps: number;
      seconds: number;
      tokens: number;
      parameters?: { nonEmbedding?: number };
      validation?: { perplexity?: number; accuracy?: number };
    };
    const last = evals.at(-1);
    series.push(
      {
        name: run.preset,
        plot: 'a-perplexity-time',
        points: evals.map((e) => ({ x: e.seconds, y: e.validation!.perplexity!, label: `step ${e.step}` })),
      },
      {
        name: run.preset,
        plot: 'a-perplexity-steps',
        points: evals.map((e) => ({
          x: e.step,
          y: e.validation!.perplexity!,
          label: `${e.seconds.toFixed(0)} s`,
        })),
      },
    );
    rows.push({
      preset: run.preset,
      non_embedding_parameters: summary.parameters?.nonEmbedding ?? Number.NaN,
      steps: summary.steps,
      seconds: Number(summary.seconds.toFixed(1)),
      seconds_per_step: Number((summary.seconds / Math.max(1, summary.steps)).toFixed(4)),
      tokens: summary.tokens,
      final_perplexity: Number((last?.validation?.perplexity ?? Number.NaN).toFixed(1)),
      best_perplexity: Number(Math.min(...evals.map((e) => e.validation!.perplexity!)).toFixed(1)),
    });
  }
  return writeResult(
    o.out,
    {
      id: 'a',
      title: 'Validation perplexity against time and steps, same time budget per preset',
      quick: o.quick,
      commands: runs.map((r) => r.command),
      series,
      tables: { presets: rows },
      seconds: (performance.now() - t0) / 1000,
    },
    [
      {
        name: 'a-perplexity-time',
        title: `MLM validation perplexity against training time (${o.budget} per preset)`,
        x: { title: 'training time (s)' },
        y: { title: 'validation perplexity', log: true },
        mark: 'line',
      },
      {
        name: 'a-perplexity-steps',
        title: 'MLM validation perplexity against optimizer steps',
        x: { title: 'optimizer steps', log: true },
        y: { title: 'validation perplexity', log: true },
        mark: 'line',
      },
    ],
  );
}
