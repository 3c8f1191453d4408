/**
 * Experiment F (the paper's downstream experiment): classifiers fine-tuned from the small and the large MLM
 * encoder for the same wall-clock time, then pruned 0–90% and quantized; test-split accuracy against non-zero
 * parameters, and against served latency for every variant with the Pareto frontier. One pair per built-in set.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { latencyFrontier } from './latency-frontier.js';
import { variantCounts } from './mlm-variants.js';
import type { Series } from './plot.js';
import { type ExperimentResult, writeResult } from './results.js';
import {
  classifierRecipes,
  compressCommand,
  compressedVariants,
  givenRun,
  ROOT,
  type StudyOptions,
} from './study.js';

const pruned = (name: string) => name === 'fp32' || /^pruned\d+$/.test(name);

export async function experimentF(o: StudyOptions): Promise<ExperimentResult> {
  const t0 = performance.now();
  const dirs = (o.classifierRuns ?? []).filter((d) => existsSync(join(d, 'run.json')));
  if (dirs.length === 0)
    throw new Error('experiment F needs fine-tuned classifier runs (models/party-small, …): none found');
  const recipes = classifierRecipes(o);
  const models = [];
  for (const dir of dirs) {
    const run = givenRun(dir, 'classify');
    const variants = await compressedVariants(o, run, recipes);
    const scored = variants.tlc.variants.map((v) => {
      const counts = variantCounts(variants.folder, v);
      return {
        model: run.preset,
        variant: v.name,
        accuracy: (v.metrics?.label_accuracy ?? Number.NaN) * 100,
        macroF1: (v.metrics?.macro_f1 ?? Number.NaN) * 100,
        megabytes: v.bytes / 1e6,
        ...counts,
      };
    });
    models.push({ run, variants, scored });
  }
  const nonZero: Series[] = models.map((m) => ({
    name: m.run.preset,
    plot: 'f-accuracy-nonzero',
    points: m.scored
      .filter((v) => pruned(v.variant))
      .map((v) => ({ x: v.nonZero, y: v.accuracy, label: v.variant }))
      .sort((a, b) => a.x - b.x),
  }));
  const shape = { batch: 1, sequence: 128 };
  const { series, frontier, rows } = await latencyFrontier(
    o,
    models.map((m) => ({
      preset: m.run.preset,
      folder: m.variants.folder,
      scores: new Map(m.scored.map((v) => [v.variant, v.accuracy])),
    })),
    shape,
    'f-accuracy-latency',
  );
  const latency = new Map(rows.map((r) => [`${r.preset}/${r.variant}`, r]));
  const table = models.flatMap((m) =>
    m.scored.map((v) => ({
      model: v.model,
      variant: v.variant,
      non_zero: v.nonZero,
      megabytes: Number(v.megabytes.toFixed(2)),
      accuracy: Number(v.accuracy.toFixed(2)),
      macro_f1: Number(v.macroF1.toFixed(2)),
      p50_ms: latency.get(`${v.model}/${v.variant}`)?.p50_ms ?? Number.NaN,
      on_frontier: latency.get(`${v.model}/${v.variant}`)?.on_frontier ?? false,
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
      series: [...nonZero, ...series, frontier],
      tables: { variants: table },
      seconds: (performance.now() - t0) / 1000,
    },
    [
      {
        name: 'f-accuracy-nonzero',
        title: `Test-split accuracy under magnitude pruning (0–${Math.round(Math.max(...o.pruneSweep) * 100)}%)`,
        x: { title: 'non-zero parameters', log: true },
        y: { title: 'accuracy (%)' },
        mark: 'line',
      },
      {
        name: 'f-accuracy-latency',
        title: `Test-split accuracy against served latency (1 text of 128 tokens, ${o.threads} threads)`,
        x: { title: 'p50 latency (ms)', log: true },
        y: { title: 'accuracy (%)' },
        mark: 'scatter',
        overlay: frontier,
      },
    ],
  );
}
