/**
 * Reads the log.jsonl of one or more run folders and prints plot-ready series (JSON): validation loss and
 * perplexity against training seconds and against steps, per run, with the run's size. The benchmark scripts
 * plot them; this is the shared reader.
 *   node --import tsx scripts/run-series.ts runs/mlm-tiny runs/mlm-small > series.json
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLog } from '../src/run-folder/log.js';

export interface RunSeries {
  readonly run: string;
  readonly preset?: string;
  readonly nonEmbeddingParameters?: number;
  readonly steps: number[];
  readonly seconds: number[];
  readonly tokens: number[];
  readonly trainLoss: number[];
  readonly validation: Record<string, number[]>;
}

export function runSeries(dir: string): RunSeries {
  const rows = readLog(join(dir, 'log.jsonl'));
  if (rows.length === 0) throw new Error(`${dir}: no log.jsonl rows`);
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { model?: { preset?: string } };
  const summaryPath = join(dir, 'summary.json');
  const summary = existsSync(summaryPath)
    ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as { parameters?: { nonEmbedding?: number } })
    : {};
  const validation: Record<string, number[]> = {};
  for (const row of rows) {
    for (const [k, v] of Object.entries(row.validation)) {
      const series = validation[k] ?? [];
      series.push(v);
      validation[k] = series;
    }
  }
  return {
    run: dir,
    ...(run.model?.preset !== undefined && { preset: run.model.preset }),
    ...(summary.parameters?.nonEmbedding !== undefined && {
      nonEmbeddingParameters: summary.parameters.nonEmbedding,
    }),
    steps: rows.map((r) => r.step),
    seconds: rows.map((r) => r.seconds),
    tokens: rows.map((r) => r.tokens),
    trainLoss: rows.map((r) => r.train_loss),
    validation,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) {
    process.stderr.write('usage: run-series.ts <run-dir>...\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(dirs.map(runSeries), null, 2)}\n`);
}
