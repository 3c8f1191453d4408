/**
 * One recipe applied to every file of the baseline (compress.ts runs one per --recipe): written beside it,
 * checked against the baseline's outputs (drift), scored, and dropped again when it loses more than
 * --max-accuracy-drop. Heads and FFN units are chosen once for a seq2seq model's decoder files (decoder_model
 * and decoder_with_past_model hold the same weights: apply-recipe.ts's crossFileChoices), and a variant whose
 * pruning step changed nothing in any file is not written under the recipe's name: it is reported declined,
 * with the passes' reasons (unchangedVariant).
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { saveModel } from '../onnx/io.js';
import type { Model } from '../onnx/ir.js';
import {
  createSession,
  type Device,
  type OrtFeeds,
  type OrtSession,
  type OrtTensor,
  runSession,
} from '../ort/session.js';
import type { MetricSpec } from '../tasks/about.js';
import { pointsLost, type VariantScores } from '../tasks/scores.js';
import {
  type AppliedRecipe,
  applyRecipe,
  type CrossFileChoice,
  crossFileChoices,
  unchangedVariant,
} from './apply-recipe.js';
import type { NodeSelection } from './common/selection.js';
import { saturationWarning } from './fidelity.js';
import { type CompressOptions, quantizeSelection } from './options.js';
import { type CalibrateOptions, type CalibrationMethod, calibrate } from './quantize/calibrate.js';
import { type Recipe, variantFileName } from './recipe.js';
import type { VariantReport } from './report.js';
import { DriftAccumulator } from './validate/drift.js';
import { modelStats } from './validate/stats.js';

export async function outputsOf(session: OrtSession, feeds: OrtFeeds) {
  const out = await runSession(session, feeds);
  return out[session.outputNames[0]!]!;
}

/** What compressing one recipe needs from the baseline run. */
export interface VariantContext {
  readonly out: string;
  readonly baseFiles: readonly string[];
  readonly baseModels: readonly Model[];
  readonly feeds: readonly OrtFeeds[];
  readonly baseOutputs: readonly OrtTensor[];
  readonly sessionOptions: { readonly threads: number; readonly device: Device };
  readonly options: CompressOptions;
  /** The task's headline metric (absent for a model of no task: nothing is scored). */
  readonly metric?: MetricSpec;
  readonly baseScores: VariantScores;
  readonly score: (files: readonly string[]) => Promise<VariantScores>;
  readonly log: (message: string) => void;
}

/**
 * Calibration as static-int8 will use it: the same node selection (so exactly the activations it quantizes get
 * ranges), the method with its bins, and the session's threads.
 */
export function calibrateOptions(
  options: CompressOptions,
  selection: NodeSelection | undefined,
): CalibrateOptions {
  const kind = options.calibration ?? 'minmax';
  const bins = options.calibrationBins;
  // calibrate() reads an entropy method's bins from the method and percentile's from the options.
  const method: CalibrationMethod = kind === 'entropy' && bins !== undefined ? { kind, bins } : { kind };
  return {
    ...selection,
    method,
    ...(bins !== undefined && { bins }),
    ...(options.threads !== undefined && { threads: options.threads }),
  };
}

/** The recipe applied to the baseline's i-th file: calibrated if it needs it, written, its drift added. */
async function compressFile(
  recipe: Recipe,
  ctx: VariantContext,
  i: number,
  shared: CrossFileChoice,
  drift: DriftAccumulator,
): Promise<{ readonly name: string; readonly result: AppliedRecipe }> {
  const options = ctx.options;
  const selection = quantizeSelection(options.quantizeInclude, options.quantizeExclude);
  const ranges = recipe.steps.some((s) => s.name === 'static-int8')
    ? await calibrate(ctx.baseModels[i]!, [ctx.feeds[i]!], calibrateOptions(options, selection))
    : undefined;
  const result = applyRecipe(
    ctx.baseModels[i]!,
    recipe,
    {
      ...(ranges !== undefined && { ranges }),
      ...(options.pruneInclude !== undefined && { pruneInclude: options.pruneInclude }),
      ...(options.pruneExclude !== undefined && { pruneExclude: options.pruneExclude }),
      ...(options.pruneScope !== undefined && { pruneScope: options.pruneScope }),
      ...(options.pruneEmbeddings !== undefined && { pruneEmbeddings: options.pruneEmbeddings }),
      ...(options.int8Weights !== undefined && { int8Weights: options.int8Weights }),
      ...(options.staticActivations !== undefined && { activationType: options.staticActivations }),
      ...(options.nbitsBlockSize !== undefined && { nbitsBlockSize: options.nbitsBlockSize }),
      ...(options.nbitsAccuracyLevel !== undefined && { nbitsAccuracyLevel: options.nbitsAccuracyLevel }),
      ...(selection !== undefined && { quantizeSelection: selection }),
    },
    shared,
  );
  const name = variantFileName(ctx.baseFiles[i]!, recipe);
  const warning = saturationWarning(name, result.model);
  if (warning !== undefined) ctx.log(warning);
  saveModel(result.model, join(ctx.out, name));
  const session = await createSession(join(ctx.out, name), { ...ctx.sessionOptions, source: name });
  try {
    const misfit = misfitInput(session, ctx.feeds[i]!);
    if (misfit === undefined) drift.add(ctx.baseOutputs[i]!, await outputsOf(session, ctx.feeds[i]!));
    else ctx.log(`${recipe.text}: ${name} not compared with fp32 (${misfit}); the task score covers it`);
  } finally {
    await session.release();
  }
  return { name, result };
}

/**
 * Why the baseline's feeds cannot run the variant, or undefined: an input whose fixed size changed. A cached
 * decoder that lost heads declares its past keys and values with the kept head count, and fp32's past tensors
 * (drawn for fp32's heads) do not fit it; such a file's drift is left out rather than measured on other inputs.
 */
function misfitInput(session: OrtSession, feeds: OrtFeeds): string | undefined {
  for (const meta of session.inputMetadata) {
    const feed = feeds[meta.name];
    if (!meta.isTensor || feed === undefined) continue;
    const bad = meta.shape.findIndex((d, axis) => typeof d === 'number' && d > 0 && feed.dims[axis] !== d);
    if (bad >= 0)
      return `input ${meta.name} axis ${bad} is ${meta.shape[bad]} where fp32 had ${feed.dims[bad]}`;
  }
  return undefined;
}

/**
 * One recipe applied to every file of the baseline: written beside it, checked against the baseline's outputs
 * (drift) and timed, scored; dropped again when it loses more than --max-accuracy-drop.
 */
export async function compressVariant(recipe: Recipe, ctx: VariantContext): Promise<VariantReport> {
  ctx.log(`${recipe.text}: compressing ${ctx.baseFiles.length} file(s)`);
  const files: string[] = [];
  let applied = 0;
  const declined: string[] = [];
  const drift = new DriftAccumulator();
  let parameters = 0;
  let zeros = 0;
  let sparsity = 0;
  let sparsityByGroup: AppliedRecipe['sparsityByGroup'];
  const o = ctx.options;
  // The threshold shared across a seq2seq's files ranks the weights this run's prune flags select.
  const shared = crossFileChoices(ctx.baseFiles, ctx.baseModels, recipe, {
    ...(o.pruneInclude !== undefined && { pruneInclude: o.pruneInclude }),
    ...(o.pruneExclude !== undefined && { pruneExclude: o.pruneExclude }),
    ...(o.pruneEmbeddings !== undefined && { pruneEmbeddings: o.pruneEmbeddings }),
  });
  const results: AppliedRecipe[] = [];
  for (const i of ctx.baseFiles.keys()) {
    const { name, result } = await compressFile(recipe, ctx, i, shared[i]!, drift);
    files.push(name);
    results.push(result);
    applied += result.changes.filter((c) => c.kind === 'applied').length;
    declined.push(
      ...result.changes.filter((c) => c.kind === 'declined').map((c) => `${c.pass} ${c.target}: ${c.detail}`),
    );
    const stats = modelStats(result.model);
    parameters += stats.parameters;
    zeros += stats.zeros;
    sparsity = Math.max(sparsity, result.sparsity ?? 0);
    if (result.sparsityByGroup !== undefined) sparsityByGroup = result.sparsityByGroup;
  }
  const scores = await ctx.score(files);
  const drop = ctx.metric && pointsLost(ctx.metric, ctx.baseScores, scores);
  const notRecipe = unchangedVariant(results);
  const kept =
    notRecipe === undefined &&
    (ctx.options.maxAccuracyDrop === undefined ||
      drop === undefined ||
      drop.points <= ctx.options.maxAccuracyDrop);
  const report: VariantReport = {
    name: recipe.suffix,
    recipe: recipe.text,
    files,
    bytes: files.reduce((s, f) => s + statSync(join(ctx.out, f)).size, 0),
    parameters,
    nonZero: parameters - zeros,
    sparsity,
    ...(sparsityByGroup !== undefined && { sparsityByGroup }),
    applied,
    declined,
    drift: drift.result(),
    ...scores,
    kept,
    ...(!kept && {
      reason:
        notRecipe ??
        `${drop!.metric} fell ${drop!.points.toFixed(2)} points (limit ${ctx.options.maxAccuracyDrop})`,
    }),
  };
  if (!kept) for (const f of files) rmSync(join(ctx.out, f), { force: true });
  ctx.log(
    `${recipe.text}: ${(report.bytes / 2 ** 20).toFixed(1)} MiB, cosine ${report.drift.meanCosine.toFixed(5)}, top-1 ${report.drift.top1Agreement.toFixed(3)}, KL ${report.drift.meanKl.toExponential(1)}${kept ? '' : ` — dropped: ${report.reason}`}`,
  );
  return report;
}
