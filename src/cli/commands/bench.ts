/**
 * `tlc bench <model-dir…> [--against <small-model-dir>]`: latency percentiles and throughput of every variant
 * at several batch sizes and sequence lengths, scores on the test split, size and non-zero parameters; a
 * table, JSON, and CSV in perf_analyzer's layout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type Comparison, compareAgainst } from '../../bench/against.js';
import { type BenchOptions, benchModel, type ModelBench } from '../../bench/bench-model.js';
import { benchCsv, benchTable, comparisonTable, perfAnalyzerCsv } from '../../bench/report.js';
import { TlcError } from '../../errors/index.js';
import { modelFolderTlc, servedTask } from '../../model-folder/read.js';
import type { Device } from '../../ort/session.js';
import { taskSpec } from '../../tasks/index.js';
import { action } from '../errors.js';
import { deviceListFlag, integerListFlag, numberFlag } from '../flags.js';
import { ProgressBar } from '../progress.js';

interface BenchFlags {
  against?: string;
  evalData?: string;
  evalTokens?: string;
  batches: string;
  lengths?: string;
  threads: string;
  devices: string;
  variants?: string;
  seconds: string;
  runs: string;
  at?: string;
  out?: string;
  json?: boolean;
}

const integers = (text: string, flag: string, min: number): number[] => integerListFlag(text, flag, min);
const positive = (text: string, flag: string): number => numberFlag(text, flag, { above: 0 });

function parseAt(text: string): { batch: number; sequence: number } {
  const m = /^(\d+)\s*[x×]\s*(\d+)$/.exec(text.trim());
  if (m === null) throw new TlcError('CLI_USAGE', `--at takes BATCHxLENGTH such as 1x128, got "${text}"`);
  return { batch: Number(m[1]), sequence: Number(m[2]) };
}

/** `tlc bench`: every variant of every folder, then the --against comparison, as tables, JSON or files. */
async function bench(models: string[], flags: BenchFlags): Promise<void> {
  const devices = deviceListFlag(flags.devices);
  const folders = [...models, ...(flags.against === undefined ? [] : [flags.against])];
  const bar = new ProgressBar();
  const options = (folder: string): BenchOptions => {
    const tlc = modelFolderTlc(folder);
    const task = servedTask(tlc, folder);
    // The model's own limit (0: unknown, the task's lengths as they are).
    const maxLength = tlc.architecture.maxLength || Number.POSITIVE_INFINITY;
    const lengths = flags.lengths
      ? integers(flags.lengths, '--lengths', 2)
      : [...new Set(taskSpec(task, folder).bench.lengths.map((l) => Math.min(l, maxLength)))];
    return {
      threads: integers(flags.threads, '--threads', 1)[0]!,
      devices,
      batches: integers(flags.batches, '--batches', 1),
      lengths,
      timing: {
        minRuns: integers(flags.runs, '--runs', 1)[0]!,
        seconds: positive(flags.seconds, '--seconds'),
      },
      ...(flags.variants && { variants: flags.variants.split(',').map((v) => v.trim()) }),
      ...(flags.evalData && { evalData: flags.evalData }),
      ...(flags.evalTokens && { evalTokens: integers(flags.evalTokens, '--eval-tokens', 1)[0]! }),
      onProgress: (label, fraction) => bar.update({ label, fraction }),
    };
  };
  const benches: ModelBench[] = [];
  for (const folder of folders) benches.push(await benchModel(folder, options(folder)));
  bar.done();
  let comparison: Comparison | undefined;
  if (flags.against !== undefined) {
    const small = benches.at(-1)!;
    const large = benches[0]!;
    const at = flags.at
      ? parseAt(flags.at)
      : {
          batch: large.variants[0]?.latency[0]?.batch ?? 1,
          sequence: Math.max(...(large.variants[0]?.latency.map((l) => l.sequence) ?? [1])),
        };
    comparison = compareAgainst(large, small, { device: devices[0] as Device, ...at });
  }
  if (flags.out !== undefined) writeOutputs(flags.out, benches, comparison);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ models: benches, comparison }, null, 2)}\n`);
    return;
  }
  for (const b of benches) process.stdout.write(`${benchTable(b)}\n\n`);
  if (comparison) process.stdout.write(`${comparisonTable(comparison)}\n`);
  if (flags.out !== undefined)
    process.stdout.write(`\nwritten: ${flags.out}/bench.json, bench.csv, perf_analyzer/\n`);
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'benchmark every variant of model folders: latency p50/p90/p95/p99 and throughput per batch size and ' +
        'sequence length (after warm-up, ORT threads stated), test-split scores, size and non-zero parameters; ' +
        'with --against, the compressed large variants beside a small baseline',
    )
    .argument('<models...>', 'model folders (as written by export-and-compress or npm run models:build)')
    .option('--against <dir>', 'a small model folder of the same task to compare the others with')
    .option(
      '--eval-data <file>',
      'test split to score every variant on (text for fill-mask, TSV for translation); without it the scores ' +
        'recorded in tlc.json are shown',
    )
    .option('--eval-tokens <n>', 'fill-mask: tokens of --eval-data to score (default 16384)')
    .option('--batches <list>', 'batch sizes', '1,8,32')
    .option(
      '--lengths <list>',
      'sequence lengths (default fill-mask 32,128; translation 16,48 source and new tokens)',
    )
    .option('--threads <n>', 'ONNX Runtime intra-op threads per session', '1')
    .option('--devices <list>', 'execution providers: cpu, cuda, webgpu, auto', 'cpu')
    .option('--variants <list>', 'only these variants (default: all)')
    .option('--seconds <s>', 'time spent timing each shape after the minimum runs', '2')
    .option('--runs <n>', 'timed runs per shape at least (after 3 warm-up runs)', '5')
    .option(
      '--at <BxL>',
      'the shape --against compares at (default: the first batch size and the longest length)',
    )
    .option(
      '--out <dir>',
      'write bench.json, bench.csv and perf_analyzer/*.csv (one file per variant and shape) here',
    )
    .option('--json', 'print the JSON instead of tables')
    .addHelpText(
      'after',
      '\nExamples:\n  tlc bench .cache/models/mlm-large --eval-data .cache/eval/mlm-large.txt\n' +
        '  tlc bench .cache/models/mlm-large --against .cache/models/mlm-small --batches 1,8 --out runs/bench\n',
    )
    .action(action(bench));
}

function writeOutputs(out: string, benches: readonly ModelBench[], comparison: Comparison | undefined): void {
  mkdirSync(join(out, 'perf_analyzer'), { recursive: true });
  writeFileSync(join(out, 'bench.json'), `${JSON.stringify({ models: benches, comparison }, null, 2)}\n`);
  writeFileSync(join(out, 'bench.csv'), benchCsv(benches));
  for (const m of benches)
    for (const v of m.variants)
      for (const l of v.latency)
        writeFileSync(
          join(out, 'perf_analyzer', `${m.model}_${v.name}_${l.device}_b${l.batch}_s${l.sequence}.csv`),
          perfAnalyzerCsv(l),
        );
}
