/**
 * The flags that reach the compression passes' own options (issue 28): magnitude pruning's scope and embeddings,
 * the quantize node selection, MatMulNBits' block size and accuracy level, static-int8's activation type and
 * calibration bins, and --dynamic-axes for static-shape exports. Each is validated here, once, and refused with
 * the step it needs when no recipe has that step: a flag that silently did nothing would leave the user
 * believing it did something.
 */
import type { Command } from 'commander';
import { type CompressOptions, OP_PREFIX } from '../../compress/options.js';
import type { Recipe, StepName } from '../../compress/recipe.js';
import type { CompressReport } from '../../compress/report.js';
import { TlcError } from '../../errors/index.js';
import { choiceFlag, integerFlag } from '../flags.js';

export interface PassFlags {
  pruneScope?: string;
  pruneEmbeddings?: boolean;
  quantizeInclude?: string[];
  quantizeExclude?: string[];
  nbitsBlockSize?: string;
  nbitsAccuracyLevel?: string;
  staticActivations?: string;
  calibration?: string;
  calibrationBins?: string;
  dynamicAxes?: boolean;
}

/** Commander's collector for a repeatable flag: each occurrence adds one value. */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const QUANTIZE_STEPS: readonly StepName[] = ['int8', 'static-int8', 'q4', 'q8', 'fp16'];
const NBITS_STEPS: readonly StepName[] = ['q4', 'q8'];

export function addPassOptions(command: Command): Command {
  return command
    .option(
      '--prune-scope <scope>',
      'prune:S threshold: global (default: one threshold over every selected weight, so S overall) | per-tensor (S of each weight)',
    )
    .option(
      '--prune-embeddings',
      'prune:S also prunes the embedding tables (read by Gather), which the default scope leaves dense',
    )
    .option(
      '--quantize-include <glob>',
      "int8, static-int8, q4, q8 and fp16 touch only nodes whose name matches (repeatable; * any run of characters, ? one character; op:GLOB matches the op type instead, e.g. 'op:MatMul'; name and op lists must both match)",
      collect,
    )
    .option(
      '--quantize-exclude <glob>',
      "int8, static-int8, q4, q8 and fp16 leave nodes whose name (or op:GLOB op type) matches as they are — float32, kept in fp32 by fp16 (repeatable; wins over --quantize-include), e.g. --quantize-exclude '/cls/*' --quantize-exclude op:Gather",
      collect,
    )
    .option(
      '--nbits-block-size <n>',
      'q4 and q8: weights per MatMulNBits block along K, a power of two ≥ 16 (default 32; smaller blocks are more accurate and larger)',
    )
    .option(
      '--nbits-accuracy-level <level>',
      'q4 and q8: MatMulNBits accuracy_level 0–4 (default 4: activations quantized to int8 per block, the fast CPU path; 0: computed in fp32 from the dequantized weights)',
    )
    .option(
      '--static-activations <type>',
      'static-int8 activations: uint8 (default, asymmetric) | int8 (symmetric, zero point 0)',
    )
    .option(
      '--calibration-bins <n>',
      'percentile and entropy calibration: histogram bins, an even number ≥ 16 (default 2048)',
    )
    .option(
      '--dynamic-axes',
      'a source whose inputs fix the batch or sequence size (torch.onnx.export without dynamic_axes): make those axes symbolic instead of refusing it, checked by running the graph at two other shapes',
    );
}

function usage(message: string): never {
  throw new TlcError('CLI_USAGE', message);
}

/**
 * `--quantize-include` / `--quantize-exclude` globs: an empty pattern (or a bare `op:`) would match nothing or
 * empty the selection, and a RegExp-looking `/…/` is taken literally, so both are refused with the syntax.
 */
export function quantizeGlobs(globs: readonly string[] | undefined, flag: string): string[] | undefined {
  if (globs === undefined || globs.length === 0) return undefined;
  for (const glob of globs) {
    const body = glob.startsWith(OP_PREFIX) ? glob.slice(OP_PREFIX.length) : glob;
    if (body.trim() === '')
      usage(
        `${flag} takes a node-name glob such as '/cls/*' or an op type such as 'op:Gather', got "${glob}"`,
      );
    if (body.length > 1 && body.startsWith('/') && body.endsWith('/'))
      usage(
        `${flag} takes a glob (* any run of characters, ? one character), not a regular expression: got "${glob}"`,
      );
  }
  return [...globs];
}

/** Refuses the flags among `given` (value, flag) that are set when no recipe has one of `steps`. */
function needsStep(
  given: readonly (readonly [unknown, string])[],
  steps: readonly StepName[],
  recipes: readonly Recipe[],
  example: string,
): void {
  const set = given.filter(([value]) => value !== undefined).map(([, flag]) => flag);
  if (set.length === 0 || recipes.some((r) => r.steps.some((s) => steps.includes(s.name)))) return;
  usage(
    `${set.join(' and ')} ${set.length === 1 ? 'applies' : 'apply'} to ${steps.join(', ')}, and no recipe has one (${recipes.map((r) => r.text).join(', ')}); add one such as --recipe ${example}`,
  );
}

function blockSize(text: string): number {
  const n = integerFlag(text, '--nbits-block-size', 16);
  if ((n & (n - 1)) !== 0)
    usage(`--nbits-block-size must be a power of two ≥ 16 (16, 32, 64, …), got "${text}"`);
  return n;
}

function calibrationBins(text: string, calibration: string | undefined): number {
  const n = integerFlag(text, '--calibration-bins', 16);
  if (n % 2 !== 0) usage(`--calibration-bins must be an even integer ≥ 16, got "${text}"`);
  if (calibration !== 'percentile' && calibration !== 'entropy')
    usage(
      `--calibration-bins sets the histogram of percentile and entropy calibration, and --calibration is ${calibration ?? 'minmax'}; add --calibration percentile or --calibration entropy`,
    );
  return n;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The pass options the flags set, validated (CLI_USAGE naming the flag and the value). */
export function passOptions(flags: PassFlags, recipes: readonly Recipe[]): Partial<CompressOptions> {
  const o: Partial<Mutable<CompressOptions>> = {};
  needsStep(
    [
      [flags.pruneScope, '--prune-scope'],
      [flags.pruneEmbeddings, '--prune-embeddings'],
    ],
    ['prune'],
    recipes,
    'prune:0.5',
  );
  if (flags.pruneScope !== undefined)
    o.pruneScope = choiceFlag(flags.pruneScope, ['global', 'per-tensor'] as const, '--prune-scope');
  if (flags.pruneEmbeddings) o.pruneEmbeddings = true;
  const include = quantizeGlobs(flags.quantizeInclude, '--quantize-include');
  const exclude = quantizeGlobs(flags.quantizeExclude, '--quantize-exclude');
  const quantizeFlags = [
    [include, '--quantize-include'],
    [exclude, '--quantize-exclude'],
  ] as const;
  needsStep(quantizeFlags, QUANTIZE_STEPS, recipes, 'int8');
  if (include !== undefined) o.quantizeInclude = include;
  if (exclude !== undefined) o.quantizeExclude = exclude;
  const nbitsFlags = [
    [flags.nbitsBlockSize, '--nbits-block-size'],
    [flags.nbitsAccuracyLevel, '--nbits-accuracy-level'],
  ] as const;
  needsStep(nbitsFlags, NBITS_STEPS, recipes, 'q4');
  if (flags.nbitsBlockSize !== undefined) o.nbitsBlockSize = blockSize(flags.nbitsBlockSize);
  if (flags.nbitsAccuracyLevel !== undefined) {
    const level = choiceFlag(
      flags.nbitsAccuracyLevel,
      ['0', '1', '2', '3', '4'] as const,
      '--nbits-accuracy-level',
    );
    o.nbitsAccuracyLevel = Number(level) as 0 | 1 | 2 | 3 | 4;
  }
  const staticFlags = [
    [flags.staticActivations, '--static-activations'],
    [flags.calibrationBins, '--calibration-bins'],
  ] as const;
  needsStep(staticFlags, ['static-int8'], recipes, 'static-int8');
  if (flags.staticActivations !== undefined)
    o.staticActivations = choiceFlag(
      flags.staticActivations,
      ['uint8', 'int8'] as const,
      '--static-activations',
    );
  if (flags.calibrationBins !== undefined)
    o.calibrationBins = calibrationBins(flags.calibrationBins, flags.calibration);
  if (flags.dynamicAxes) o.dynamicAxes = true;
  return o;
}

/**
 * --quantize-exclude globs that left no node out of int8, static-int8, q4 or q8: a mistyped node name would
 * otherwise leave the user believing a layer stayed float. The quantize driver declines an excluded node with
 * `node excluded by "GLOB"` (or `op type excluded by "TYPE"`, common/selection.ts); fp16 records no such reason,
 * so only the other steps' variants are read.
 */
export function unusedQuantizeExcludes(
  report: CompressReport,
  globs: readonly string[] | undefined,
): string[] {
  const quantized = report.variants.filter((v) => /(^|\+)(int8|static-int8|q4|q8)($|\+)/.test(v.recipe));
  if (globs === undefined || quantized.length === 0) return [];
  const declined = quantized.flatMap((v) => v.declined);
  return globs.filter((g) => {
    const reason = g.startsWith(OP_PREFIX)
      ? `op type excluded by "${g.slice(OP_PREFIX.length)}"`
      : `node excluded by "${g}"`;
    return !declined.some((d) => d.includes(reason));
  });
}
