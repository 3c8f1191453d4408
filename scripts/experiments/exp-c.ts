/**
 * Experiment C: test-split MLM accuracy against size on disk for fp32, int8 (dynamic), 8-bit and 4-bit
 * weight-only quantization, one curve per preset.
 */
import { mlmVariants } from './mlm-variants.js';
import type { Series } from './plot.js';
import { type ExperimentResult, writeResult } from './results.js';
import type { StudyOptions } from './study.js';

const QUANTIZED = ['fp32', 'int8', 'q8', 'q4'];

export async function experimentC(o: StudyOptions): Promise<ExperimentResult> {
  const t0 = performance.now();
  const presets = await mlmVariants(o);
  const pick = (p: (typeof presets)[number]) => p.scored.filter((v) => QUANTIZED.includes(v.name));
  const series: Series[] = presets.map((p) => ({
    name: p.run.preset,
    plot: 'c-accuracy-size',
    points: pick(p)
      .map((v) => ({ x: v.megabytes, y: v.accuracy, label: v.name }))
      .sort((a, b) => a.x - b.x),
  }));
  const rows = presets.flatMap((p) =>
    pick(p).map((v) => ({
      preset: v.preset,
      variant: v.name,
      megabytes: Number(v.megabytes.toFixed(2)),
      accuracy: Number(v.accuracy.toFixed(2)),
      perplexity: Number(v.perplexity.toFixed(1)),
    })),
  );
  return writeResult(
    o.out,
    {
      id: 'c',
      title: 'MLM accuracy against size for fp32, int8, 8-bit and 4-bit weights',
      quick: o.quick,
      commands: presets.flatMap((p) => p.commands),
      series,
      tables: { quantization: rows },
      seconds: (performance.now() - t0) / 1000,
    },
    [
      {
        name: 'c-accuracy-size',
        title: 'Test-split MLM accuracy against size (fp32, int8, q8, q4)',
        x: { title: 'size on disk (MB)', log: true },
        y: { title: 'MLM accuracy (%)' },
        mark: 'line',
      },
    ],
  );
}
