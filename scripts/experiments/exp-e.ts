/**
 * Experiment E: the accuracy–latency–size trade-off for English→French translation: presets trained for the
 * same time budget, compressed, scored by BLEU on the test split and timed as served (encoder + cached
 * decoder steps), with the Pareto frontier.
 */
import { relative } from 'node:path';
import { latencyFrontier } from './latency-frontier.js';
import type { Series } from './plot.js';
import { type ExperimentResult, writeResult } from './results.js';
import {
  compressCommand,
  compressedVariants,
  ROOT,
  type StudyOptions,
  TRANSLATION_RECIPES,
  translationStudyRuns,
} from './study.js';

export async function experimentE(o: StudyOptions): Promise<ExperimentResult> {
  const t0 = performance.now();
  const runs = translationStudyRuns(o);
  const compressed = [];
  for (const run of runs)
    compressed.push({ run, variants: await compressedVariants(o, run, TRANSLATION_RECIPES) });
  const shape = { batch: 1, sequence: 16 };
  const { series, frontier, rows } = await latencyFrontier(
    o,
    compressed.map(({ run, variants }) => ({
      preset: run.preset,
      folder: variants.folder,
      scores: new Map(variants.tlc.variants.map((v) => [v.name, v.metrics?.bleu ?? Number.NaN])),
    })),
    shape,
    'e-bleu-latency',
  );
  const sizeSeries: Series[] = compressed.map(({ run, variants }) => ({
    name: run.preset,
    plot: 'e-bleu-size',
    points: variants.tlc.variants
      .map((v) => ({ x: v.bytes / 1e6, y: v.metrics?.bleu ?? Number.NaN, label: v.name }))
      .sort((a, b) => a.x - b.x),
  }));
  return writeResult(
    o.out,
    {
      id: 'e',
      title: 'Translation: BLEU against served latency and size, all variants of two presets',
      quick: o.quick,
      commands: compressed.flatMap(({ run, variants }) => [
        run.command,
        compressCommand(o, run, TRANSLATION_RECIPES, variants.evalData),
        `tlc bench ${relative(ROOT, variants.folder)} --batches 1 --lengths 16 --threads ${o.threads}`,
      ]),
      series: [...series, frontier, ...sizeSeries],
      tables: { variants: rows.map(({ score, ...r }) => ({ ...r, bleu: score })) },
      seconds: (performance.now() - t0) / 1000,
    },
    [
      {
        name: 'e-bleu-latency',
        title: `English→French BLEU against served latency (1 sentence, 16 tokens in and out, ${o.threads} threads)`,
        x: { title: 'p50 latency (ms)', log: true },
        y: { title: 'BLEU (test split)' },
        mark: 'scatter',
        overlay: frontier,
      },
      {
        name: 'e-bleu-size',
        title: 'English→French BLEU against size on disk',
        x: { title: 'size on disk (MB)', log: true },
        y: { title: 'BLEU (test split)' },
        mark: 'line',
      },
    ],
  );
}
