/**
 * Experiment B (the paper's Figure 6 shape): test-split MLM accuracy against non-zero parameters under
 * magnitude pruning from 0% to 90%, one curve per preset.
 */
import { mlmVariants } from './mlm-variants.js';
import type { Series } from './plot.js';
import { type ExperimentResult, writeResult } from './results.js';
import type { StudyOptions } from './study.js';

export async function experimentB(o: StudyOptions): Promise<ExperimentResult> {
  const t0 = performance.now();
  const presets = await mlmVariants(o);
  const series: Series[] = presets.map((p) => ({
    name: p.run.preset,
    plot: 'b-accuracy-nonzero',
    points: p.scored
      .filter((v) => v.name === 'fp32' || /^pruned\d+$/.test(v.name))
      .map((v) => ({ x: v.nonZero, y: v.accuracy, label: v.name }))
      .sort((a, b) => a.x - b.x),
  }));
  const rows = presets.flatMap((p) =>
    p.scored
      .filter((v) => v.name === 'fp32' || /^pruned\d+$/.test(v.name))
      .map((v) => ({
        preset: v.preset,
        variant: v.name,
        non_zero: v.nonZero,
        accuracy: Number(v.accuracy.toFixed(2)),
        perplexity: Number(v.perplexity.toFixed(1)),
      })),
  );
  return writeResult(
    o.out,
    {
      id: 'b',
      title: 'MLM accuracy against non-zero parameters under magnitude pruning',
      quick: o.quick,
      commands: presets.flatMap((p) => p.commands),
      series,
      tables: { pruning: rows },
      seconds: (performance.now() - t0) / 1000,
    },
    [
      {
        name: 'b-accuracy-nonzero',
        title: `Test-split MLM accuracy under magnitude pruning (0–${Math.round(Math.max(...o.pruneSweep) * 100)}%)`,
        x: { title: 'non-zero parameters', log: true },
        y: { title: 'MLM accuracy (%)' },
        mark: 'line',
      },
    ],
  );
}
