/**
 * Experiment D: test-split MLM accuracy against served fill-mask latency (batch 1 × 128, top-5 in the graph)
 * for all variants of all presets, with the Pareto frontier: which model to deploy under a latency budget.
 */
import { relative } from 'node:path';
import { latencyFrontier } from './latency-frontier.js';
import { mlmVariants } from './mlm-variants.js';
import { type ExperimentResult, writeResult } from './results.js';
import { ROOT, type StudyOptions } from './study.js';

export async function experimentD(o: StudyOptions): Promise<ExperimentResult> {
  const t0 = performance.now();
  const presets = await mlmVariants(o);
  const shape = { batch: 1, sequence: 128 };
  const { series, frontier, rows } = await latencyFrontier(
    o,
    presets.map((p) => ({
      preset: p.run.preset,
      folder: p.variants.folder,
      scores: new Map(p.scored.map((v) => [v.name, v.accuracy])),
    })),
    shape,
    'd-accuracy-latency',
  );
  return writeResult(
    o.out,
    {
      id: 'd',
      title: 'MLM accuracy against served latency, all variants of all presets, with the Pareto frontier',
      quick: o.quick,
      commands: [
        ...presets.flatMap((p) => p.commands),
        ...presets.map(
          (p) =>
            `tlc bench ${relative(ROOT, p.variants.folder)} --batches 1 --lengths 128 --threads ${o.threads}`,
        ),
      ],
      series: [...series, frontier],
      tables: { variants: rows.map(({ score, ...r }) => ({ ...r, accuracy: score })) },
      seconds: (performance.now() - t0) / 1000,
    },
    [
      {
        name: 'd-accuracy-latency',
        title: `MLM accuracy against served latency (batch ${shape.batch} × ${shape.sequence}, ${o.threads} threads)`,
        x: { title: 'p50 latency (ms)', log: true },
        y: { title: 'MLM accuracy (%)' },
        mark: 'scatter',
        overlay: frontier,
      },
    ],
  );
}
