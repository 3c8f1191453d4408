/** The options `export-and-compress` and `tlc compress` share, and the report table they print. */

import type { Command } from 'commander';
import { type CompressReport, compress } from '../../compress/compress.js';
import type { CalibrationKind } from '../../compress/quantize/calibrate.js';
import { parseInt8Coding } from '../../compress/quantize/int8-coding.js';
import { parseRecipe } from '../../compress/recipe.js';
import { TlcError } from '../../errors/index.js';
import { isServedTask } from '../../model-folder/tlc-json.js';
import { about, type MetricKey } from '../../tasks/catalog.js';
import { TASKS } from '../../tasks/index.js';
import { cpuLabel } from '../../util/cpu.js';
import { formatBytes, table } from '../../util/format.js';
import { deviceFlag, integerFlag, numberFlag } from '../flags.js';
import {
  addPassOptions,
  collect,
  type PassFlags,
  passOptions,
  unusedQuantizeExcludes,
} from './compress-pass-flags.js';

const CALIBRATIONS: readonly CalibrationKind[] = ['minmax', 'percentile', 'entropy'];

export interface CompressFlags extends PassFlags {
  out: string;
  recipe?: string[];
  evalData?: string;
  evalTokens?: string;
  maxAccuracyDrop?: string;
  calibration: string;
  device: string;
  threads: string;
  batch: string;
  sequence: string;
  force?: boolean;
  json?: boolean;
  config?: string;
  pooling?: string;
  tokenizer?: string;
  pruneInclude?: string[];
  pruneExclude?: string[];
  latency: boolean;
  latencyShape?: string;
  latencyRounds?: string;
  latencySeconds?: string;
  int8Weights?: string;
}

/** `--latency-shape 8x128` → batch and sequence length. */
function latencyShape(text: string): { batch: number; sequence: number } {
  const m = /^(\d+)\s*[x×]\s*(\d+)$/.exec(text.trim());
  if (m === null || Number(m[1]) < 1 || Number(m[2]) < 2)
    throw new TlcError('CLI_USAGE', `--latency-shape takes BATCHxLENGTH such as 8x128, got "${text}"`);
  return { batch: Number(m[1]), sequence: Number(m[2]) };
}

/**
 * `--prune-include` / `--prune-exclude` globs, checked once here: an empty pattern would match nothing (or,
 * for include, silently empty the selection), and a RegExp-looking `/…/` is taken literally by the glob
 * matcher, so both are refused with the syntax that works.
 */
export function pruneGlobs(globs: readonly string[] | undefined, flag: string): string[] | undefined {
  if (globs === undefined || globs.length === 0) return undefined;
  for (const glob of globs) {
    if (glob.trim() === '')
      throw new TlcError('CLI_USAGE', `${flag} takes an initializer-name glob such as 'blocks.0.*', got ""`);
    if (glob.length > 1 && glob.startsWith('/') && glob.endsWith('/'))
      throw new TlcError(
        'CLI_USAGE',
        `${flag} takes a glob (* any run of characters, ? one character), not a regular expression: got "${glob}"`,
      );
  }
  return [...globs];
}

export function addCompressOptions(command: Command, recipes: 'many' | 'one'): Command {
  if (recipes === 'many') {
    command.option(
      '--recipe <recipe...>',
      'recipes to run, e.g. int8, prune:0.5+int8, heads:0.25+ffn:0.5+int8, q4, q8, static-int8, fp16',
    );
  }
  command
    .requiredOption(
      '--out <dir>',
      'model folder to write (variants beside the fp32 model, report.json, tlc.json)',
    )
    .option(
      '--eval-data <file>',
      `score each variant on labelled data, by task — ${Object.values(TASKS)
        .map((t) => `${t.name}: ${t.scoring.dataDescription}`)
        .join('; ')}`,
    )
    .option('--eval-tokens <n>', 'fill-mask: tokens of --eval-data to score per variant (default 16384)')
    .option(
      '--max-accuracy-drop <points>',
      "drop variants that fall more than this below fp32 on the task's headline metric, in points (accuracy on a 0–100 scale, BLEU)",
    )
    .option(
      '--calibration <method>',
      'activation ranges for static-int8: minmax | percentile (99.999%) | entropy (KL divergence)',
      'minmax',
    )
    .option(
      '--int8-weights <coding>',
      'int8 weight coding for int8 and static-int8: pair-bounded (default: 8-bit codes whose neighbouring pairs cannot saturate, right on every CPU) | 7-bit (ORT reduce_range) | full (RISK: only right on CPUs with VNNI, AMX or ARM dot products; on AVX2 and AVX-512 without VNNI the int16 pair sums saturate and answers degrade — the server then marks the variant degraded)',
    )
    .option('--device <device>', 'cpu | cuda | webgpu | auto (for validation and latency)', 'cpu')
    .option('--threads <n>', 'ONNX Runtime intra-op threads for latency, scoring and calibration', '2')
    .option('--batch <n>', 'batch size of the sample inputs', '8')
    .option('--sequence <n>', 'sequence length of the sample inputs', '128')
    .option(
      '--config <config.json>',
      'a bare .onnx source: its Hugging Face config.json (task, sizes, length)',
    )
    .option(
      '--tokenizer <tokenizer.json>',
      'a bare .onnx source: its tokenizer.json (tokenizer_config.json beside it is taken too)',
    )
    .option(
      '--pooling <mode>',
      'a feature-extraction export of token states (last_hidden_state) without sentence-transformers modules: cls | max | mean | mean_sqrt_len, written as modules.json and 1_Pooling/config.json',
    )
    .option(
      '--latency-shape <BxT>',
      'time the variants as the server runs them (the tlc bench probe) on this batch × length (default: --batch × --sequence, translation capped at 48 tokens)',
    )
    .option(
      '--latency-rounds <n>',
      'rounds of interleaved timing: each runs fp32 and every variant once (default 15); the report gives the median speed-up and its quartiles over rounds',
    )
    .option(
      '--latency-seconds <s>',
      'after those rounds, keep timing until this many seconds have passed, up to 60 rounds (default 0)',
    )
    .option(
      '--prune-include <glob>',
      "prune:S prunes only initializers whose name matches (repeatable; * any run of characters, ? one character), replacing the default scope (every projection but embeddings and the vocabulary head), e.g. --prune-include 'blocks.*' --prune-include 'head.weight'",
      collect,
    )
    .option(
      '--prune-exclude <glob>',
      "prune:S leaves initializers whose name matches dense (repeatable; wins over --prune-include), e.g. --prune-exclude 'blocks.0.*'",
      collect,
    );
  return addPassOptions(command)
    .option('--no-latency', 'skip timing (sizes, drift and scores only)')
    .option('--force', 'replace --out if it exists')
    .option('--json', 'print the report as JSON');
}

/**
 * --prune-exclude globs that kept no weight dense: a mistyped name would otherwise leave the user believing a
 * block stayed dense. An excluded weight is declined with `excluded by pattern "GLOB"` (prune/patterns.ts).
 */
function unusedExcludes(report: CompressReport, globs: readonly string[] | undefined): string[] {
  const pruned = report.variants.filter((v) => /(^|\+)prune:/.test(v.recipe));
  if (globs === undefined || pruned.length === 0) return [];
  const declined = pruned.flatMap((v) => v.declined);
  return globs.filter((g) => !declined.some((d) => d.includes(`excluded by pattern "${g}"`)));
}

export async function runCompress(
  source: string,
  recipeTexts: readonly string[],
  flags: CompressFlags,
  log: (m: string) => void,
): Promise<CompressReport> {
  const positive = (text: string, flag: string) => integerFlag(text, flag);
  const drop =
    flags.maxAccuracyDrop === undefined
      ? undefined
      : numberFlag(flags.maxAccuracyDrop, '--max-accuracy-drop', { min: 0 });
  const calibration = (flags.calibration ?? 'minmax') as CalibrationKind;
  if (!CALIBRATIONS.includes(calibration))
    throw new TlcError(
      'CLI_USAGE',
      `--calibration must be minmax, percentile or entropy, got "${calibration}"`,
    );
  const recipes = recipeTexts.map(parseRecipe);
  const pruneInclude = pruneGlobs(flags.pruneInclude, '--prune-include');
  const pruneExclude = pruneGlobs(flags.pruneExclude, '--prune-exclude');
  // The filters steer magnitude pruning only; without a prune:S step they would be silently ignored.
  if (
    (pruneInclude ?? pruneExclude) !== undefined &&
    !recipes.some((r) => r.steps.some((s) => s.name === 'prune'))
  )
    throw new TlcError(
      'CLI_USAGE',
      `--prune-include and --prune-exclude select the weights of a prune:S step, and no recipe has one (${recipeTexts.join(', ')}); add one such as --recipe prune:0.5+int8`,
    );
  const report = await compress(source, flags.out, {
    ...passOptions(flags, recipes),
    ...(pruneInclude !== undefined && { pruneInclude }),
    ...(pruneExclude !== undefined && { pruneExclude }),
    calibration,
    ...(flags.int8Weights !== undefined && {
      int8Weights: parseInt8Coding(flags.int8Weights, '--int8-weights'),
    }),
    recipes,
    ...(flags.evalData !== undefined && { evalData: flags.evalData }),
    ...(flags.evalTokens !== undefined && { evalTokens: positive(flags.evalTokens, '--eval-tokens') }),
    ...(drop !== undefined && { maxAccuracyDrop: drop }),
    device: deviceFlag(flags.device),
    threads: positive(flags.threads, '--threads'),
    batch: positive(flags.batch, '--batch'),
    sequence: positive(flags.sequence, '--sequence'),
    force: flags.force ?? false,
    ...(flags.config !== undefined && { config: flags.config }),
    latency: flags.latency,
    ...(flags.latencyShape !== undefined && { latencyShape: latencyShape(flags.latencyShape) }),
    ...(flags.latencyRounds !== undefined && {
      latencyRounds: integerFlag(flags.latencyRounds, '--latency-rounds', 1),
    }),
    ...(flags.latencySeconds !== undefined && {
      latencySeconds: numberFlag(flags.latencySeconds, '--latency-seconds', { min: 0 }),
    }),
    ...(flags.tokenizer !== undefined && { tokenizer: flags.tokenizer }),
    ...(flags.pooling !== undefined && { pooling: flags.pooling }),
    log,
  });
  for (const glob of unusedExcludes(report, pruneExclude))
    log(
      `warning: --prune-exclude '${glob}' matched no weight that prune:S would prune; check the name against the report's declined entries`,
    );
  for (const glob of unusedQuantizeExcludes(report, flags.quantizeExclude))
    log(
      `warning: --quantize-exclude '${glob}' matched no node that int8, static-int8, q4 or q8 would quantize; check the name against the report's declined entries (op types take op:, e.g. op:Gather)`,
    );
  return report;
}

/**
 * Graphs that came with the source but are no variant (transformers.js's onnx/model_quantized.onnx): said, so a
 * user does not take them for served ones.
 */
function unlistedNote(graphs: readonly string[] | undefined): string {
  if (graphs === undefined) return '';
  const [it, is] = graphs.length === 1 ? ['it', 'is'] : ['them', 'are'];
  return (
    `note: ${graphs.join(', ')} came with the source and ${is} not a variant: tlc.json does not list ${it}, so ` +
    `\`tlc serve\` will not serve ${it}, and TLC did not build or check ${it} (no drift, latency or probe); ` +
    'for a checked int8 variant add --recipe int8\n'
  );
}

export function renderReport(report: CompressReport): string {
  const base = report.variants[0]!;
  // The task's metrics (src/tasks/<task>/about.ts), a column each.
  const metrics = isServedTask(report.task) ? about(report.task).metrics : [];
  const score = (v: CompressReport['variants'][number]) =>
    metrics.map((m) => v[m.key as MetricKey]?.toFixed(m.digits) ?? '');
  const rows = report.variants.map((v) => [
    v.name,
    formatBytes(v.bytes),
    `${((v.bytes / base.bytes) * 100).toFixed(0)}%`,
    v.sparsity > 0 ? `${(v.sparsity * 100).toFixed(0)}%` : '',
    v.drift.meanCosine.toFixed(5),
    v.drift.top1Agreement.toFixed(3),
    v === base ? '' : v.drift.meanKl.toExponential(1),
    ...score(v),
    v.latency?.p50.toFixed(1) ?? '',
    v.latency?.p95.toFixed(1) ?? '',
    v.latency === undefined || v === base
      ? v.latency === undefined
        ? ''
        : '1.00×'
      : `${v.latency.speedup.median.toFixed(2)}× (${v.latency.speedup.q25.toFixed(2)}–${v.latency.speedup.q75.toFixed(2)})${v.kind === 'size' ? ' size variant' : ''}`,
    v.check === undefined ? '' : v.check.agreement.toFixed(3),
    v.kept ? 'kept' : `dropped (${v.reason})`,
  ]);
  const header = [
    'variant',
    'size',
    'of fp32',
    'sparsity',
    'cosine',
    'top-1',
    'KL',
    ...metrics.map((m) => m.label),
    'p50 ms',
    'p95 ms',
    'speed-up',
    'probe',
    '',
  ];
  const note =
    report.notServed === undefined ? '' : `note: ${report.notServed}; \`tlc serve\` will not serve it\n`;
  const t = report.timing;
  const timed =
    t === undefined
      ? ''
      : `; timed: ${t.what === 'served' ? 'served path' : 'exported graph'}, ${t.batch} × ${t.sequence}`;
  const unlisted = unlistedNote(report.unlistedGraphs);
  const fixes = (report.sourceFixes ?? []).map((f) => `fixed in the source: ${f}\n`).join('');
  const sizeNote = report.variants.some((v) => v.kind === 'size')
    ? 'size variant: not faster than fp32 on this CPU; kept for its size\n'
    : '';
  return `${report.dir} (${report.task}; ${report.device}, ${report.threads} threads, inputs ${report.inputs.batch} × ${report.inputs.sequence}${timed})\nCPU: ${cpuLabel(report.cpu)}\n${table(header, rows)}\n${note}${unlisted}${sizeNote}${fixes}`;
}
