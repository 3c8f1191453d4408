/**
 * `tlc bench` output: a printed table, and CSV in the column layout of Triton's perf_analyzer (`-f`), so tools
 * that read perf_analyzer reports read TLC's. perf_analyzer reports microseconds and one row per concurrency;
 * TLC times in-process runs, so concurrency is 1, the whole run is "Server Compute Infer" and the network
 * columns are 0. Inferences/Second counts inputs (batch × runs per second), as perf_analyzer counts batch
 * entries.
 */
import { ALL_METRICS, type MetricKey } from '../tasks/catalog.js';
import { formatMetric } from '../tasks/scores.js';
import { formatBytes, formatCount, table } from '../util/format.js';
import type { Comparison } from './against.js';
import type { LatencyPoint, ModelBench, VariantBench } from './bench-model.js';

export const PERF_ANALYZER_COLUMNS = [
  'Concurrency',
  'Inferences/Second',
  'Client Send',
  'Network+Server Send/Recv',
  'Server Queue',
  'Server Compute Input',
  'Server Compute Infer',
  'Server Compute Output',
  'Client Recv',
  'p50 latency',
  'p90 latency',
  'p95 latency',
  'p99 latency',
] as const;

/** Columns in front of perf_analyzer's in the combined CSV: which model, variant and shape a row is. */
export const BENCH_KEY_COLUMNS = [
  'Model',
  'Variant',
  'Device',
  'Threads',
  'Batch',
  'Sequence Length',
] as const;

const us = (ms: number) => Math.round(ms * 1000).toString();

/** perf_analyzer's cells for one latency point. */
export function perfAnalyzerCells(l: LatencyPoint): string[] {
  return [
    '1',
    l.throughput.toFixed(1),
    '0',
    '0',
    '0',
    '0',
    us(l.mean_ms),
    '0',
    '0',
    us(l.p50_ms),
    us(l.p90_ms),
    us(l.p95_ms),
    us(l.p99_ms),
  ];
}

/** One file in perf_analyzer's exact layout (header + one row) for one variant at one shape. */
export function perfAnalyzerCsv(l: LatencyPoint): string {
  return `${PERF_ANALYZER_COLUMNS.join(',')}\n${perfAnalyzerCells(l).join(',')}\n`;
}

const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** Every model, variant and shape in one CSV: the key columns, then perf_analyzer's. */
export function benchCsv(benches: readonly ModelBench[]): string {
  const lines = [[...BENCH_KEY_COLUMNS, ...PERF_ANALYZER_COLUMNS].join(',')];
  for (const m of benches)
    for (const v of m.variants)
      for (const l of v.latency)
        lines.push(
          [m.model, v.name, l.device, String(m.threads), String(l.batch), String(l.sequence)]
            .map(csvCell)
            .concat(perfAnalyzerCells(l))
            .join(','),
        );
  return `${lines.join('\n')}\n`;
}

function scoreCells(v: VariantBench): string {
  const m = v.metrics;
  const parts = ALL_METRICS.flatMap((metric) => {
    const value = m[metric.key as MetricKey];
    return value === undefined ? [] : [`${metric.label} ${formatMetric(metric, value)}`];
  });
  if (parts.length === 0) return '–';
  return `${parts.join(' ')}${v.metricsSource === 'tlc.json' ? ' (tlc.json)' : ''}`;
}

/** The printed table of one model: a row per variant and shape. */
export function benchTable(m: ModelBench): string {
  const rows: string[][] = [];
  for (const v of m.variants)
    v.latency.forEach((l, i) => {
      const first = i === 0;
      rows.push([
        first ? v.name : '',
        first ? formatBytes(v.bytes) : '',
        first ? `${formatCount(v.nonZero)} / ${formatCount(v.parameters)}` : '',
        first ? scoreCells(v) : '',
        l.provider,
        `${l.batch} × ${l.sequence}`,
        l.p50_ms.toFixed(2),
        l.p90_ms.toFixed(2),
        l.p95_ms.toFixed(2),
        l.p99_ms.toFixed(2),
        l.throughput.toFixed(1),
      ]);
    });
  const title = `${m.model} (${m.task}) — ${m.threads} ORT thread${m.threads === 1 ? '' : 's'}, ${m.machine.cores} × ${m.machine.cpu} (${m.machine.features?.join(' ') || 'no listed features'}; int8 ${m.machine.int8 ?? 'unknown'}), onnxruntime-node ${m.machine.ort}`;
  return `${title}\n${table(
    [
      'variant',
      'size',
      'non-zero / params',
      'scores',
      'device',
      'batch × seq',
      'p50 ms',
      'p90',
      'p95',
      'p99',
      'inputs/s',
    ],
    rows,
  )}`;
}

/** The printed side-by-side of --against. */
export function comparisonTable(c: Comparison): string {
  const scoreName = c.metric === 'accuracy' ? 'accuracy %' : 'BLEU';
  const rows = [c.baseline, ...c.rows].map((r) => [
    `${r.model} ${r.variant}`,
    r.score.toFixed(2),
    `${r.scoreDelta >= 0 ? '+' : ''}${r.scoreDelta.toFixed(2)}`,
    r.p50_ms.toFixed(2),
    `${r.speedup.toFixed(2)}×`,
    formatBytes(r.bytes),
    `${r.sizeRatio.toFixed(2)}×`,
  ]);
  return `Against ${c.baseline.model} ${c.baseline.variant} at batch ${c.at.batch} × ${c.at.sequence} on ${c.at.device}\n${table(
    ['variant', scoreName, 'Δ points', 'p50 ms', 'speed', 'size', 'size ×'],
    rows,
  )}\n${c.verdict.join('\n')}`;
}
