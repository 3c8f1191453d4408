/**
 * Experiment F (the paper's downstream experiment): classifiers fine-tuned from the small and the large MLM
 * encoder for the same wall-clock time, then pruned 0–90% and quantized. Per labelled set (a pair of runs):
 * test-split accuracy against non-zero parameters, and against served latency for every variant with the Pareto
 * frontier of that set.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readRunConfig } from '../../src/run-folder/run-config.js';
import { latencyFrontier } from './latency-frontier.js';
import { variantCounts } from './mlm-variants.js';
import type { PlotSpec, Series } from './plot.js';
import { type ExperimentResult, writeResult } from './results.js';
import {
  classifierRecipes,
  compressCommand,
  compressedVariants,
  givenRun,
  type PresetRun,
  ROOT,
  type StudyOptions,
  type Variants,
} from './study.js';

const pruned = (name: string) => name === 'fp32' || /^pruned\d+$/.test(name);

interface Scored {
  readonly model: string;
  readonly variant: string;
  readonly accuracy: number;
  readonly macroF1: number;
  readonly megabytes: number;
  readonly parameters: number;
  readonly nonZero: number;
}

interface Classifier {
  readonly run: PresetRun;
  readonly set: string;
  readonly variants: Variants;
  readonly scored: readonly Scored[];
}

async function classifier(o: StudyOptions, dir: string, recipes: readonly string[]): Promise<Classifier> {
  const run = givenRun(dir, 'classify');
  const variants = await compressedVariants(o, run, recipes);
  const scored = variants.tlc.variants.map((v) => ({
    model: run.preset,
    variant: v.name,
    accuracy: (v.metrics?.label_accuracy ?? Number.NaN) * 100,
    macroF1: (v.metrics?.macro_f1 ?? Number.NaN) * 100,
    megabytes: v.bytes / 1e6,
    ...variantCounts(variants.folder, v),
  }));
  return { run, set: readRunConfig(dir).corpus, variants, scored };
}

export async function experimentF(o: StudyOptions): Promise<ExperimentResult> {
  const t0 = performance.now();
  const dirs = (o.classifierRuns ?? []).filter((d) => existsSync(join(d, 'run.json')));
  if (dirs.length === 0)
    throw new Error('experiment F needs fine-tuned classifier runs (models/spam-small, …): none found');
  const recipes = classifierRecipes(o);
  const models: Classifier[] = [];
  for (const dir of dirs) models.push(await classifier(o, dir, recipes));
  const sets = [...new Set(models.map((m) => m.set))];
  const series: Series[] = [];
  const plots: PlotSpec[] = [];
  const latencyRows = new Map<string, { p50_ms: number; on_frontier: boolean }>();
  for (const set of sets) {
    const pair = models.filter((m) => m.set === set);
    series.push(
      ...pair.map((m) => ({
        name: m.run.preset,
        plot: `f-${set}-nonzero`,
        points: m.scored
          .filter((v) => pruned(v.variant))
          .map((v) => ({ x: v.nonZero, y: v.accuracy, label: v.variant }))
          .sort((a, b) => a.x - b.x),
      })),
    );
    const latency = await latencyFrontier(
      o,
      pair.map((m) => ({
        preset: m.run.preset,
        folder: m.variants.folder,
        scores: new Map(m.scored.map((v) => [v.variant, v.accuracy])),
      })),
      { batch: 1, sequence: 128 },
      `f-${set}-latency`,
    );
    series.push(...latency.series, latency.frontier);
    for (const r of latency.rows) latencyRows.set(`${r.preset}/${r.variant}`, r);
    plots.push(
      {
        name: `f-${set}-nonzero`,
        title: `${set}: test-split accuracy under magnitude pruning (0–${Math.round(Math.max(...o.pruneSweep) * 100)}%)`,
        x: { title: 'non-zero parameters', log: true },
        y: { title: 'accuracy (%)' },
        mark: 'line',
      },
      {
        name: `f-${set}-latency`,
        title: `${set}: test-split accuracy against served latency (1 text of 128 tokens, ${o.threads} threads)`,
        x: { title: 'p50 latency (ms)', log: true },
        y: { title: 'accuracy (%)' },
        mark: 'scatter',
        overlay: latency.frontier,
      },
    );
  }
  const table = models.flatMap((m) =>
    m.scored.map((v) => ({
      set: m.set,
      model: v.model,
      variant: v.variant,
      non_zero: v.nonZero,
      megabytes: Number(v.megabytes.toFixed(2)),
      accuracy: Number(v.accuracy.toFixed(2)),
      macro_f1: Number(v.macroF1.toFixed(2)),
      p50_ms: latencyRows.get(`${v.model}/${v.variant}`)?.p50_ms ?? Number.NaN,
      on_frontier: latencyRows.get(`${v.model}/${v.variant}`)?.on_frontier ?? false,
    })),
  );
  return writeResult(
    o.out,
    {
      id: 'f',
      title:
        'Classification: accuracy against non-zero parameters and served latency, small and large fine-tuned',
      quick: o.quick,
      commands: models.flatMap((m) => [
        m.run.command,
        compressCommand(o, m.run, recipes, m.variants.evalData),
        `tlc bench ${relative(ROOT, m.variants.folder)} --batches 1 --lengths 128 --threads ${o.threads}`,
      ]),
      series,
      tables: { variants: table },
      seconds: (performance.now() - t0) / 1000,
    },
    plots,
  );
}
