/**
 * Applies a parsed recipe to one model: a table maps each step to its pass. Structured steps (heads, ffn) run
 * together, magnitude pruning next, quantization last, and pruned weights are finally stored compactly (the
 * file shrinks with sparsity; ONNX Runtime expands them at load). Every pass's changes are kept for the report.
 */
import type { Model } from '../onnx/ir.js';
import { cleanup } from '../onnx/passes/cleanup.js';
import type { PassChange } from '../onnx/passes/pass.js';
import { walkGraphs } from '../onnx/traverse.js';
import { compileSelection, type NodeSelection } from './common/selection.js';
import { type MagnitudePruneReport, magnitudePrune, modelThreshold } from './prune/magnitude.js';
import { encodeSparseWeights } from './prune/sparse-encode.js';
import { type StructuredPruneOptions, structuredPrune } from './prune/structured/prune.js';
import { sharedStructuredScores } from './prune/structured/shared-choice.js';
import type { PruneScope, SharedThreshold } from './prune/threshold.js';
import { dynamicInt8 } from './quantize/dynamic-int8.js';
import { toFloat16 } from './quantize/float16.js';
import type { Int8WeightCoding } from './quantize/int8-coding.js';
import { quantizeModel } from './quantize/model.js';
import type { Ranges } from './quantize/options.js';
import { STATIC_QDQ_PASS, staticQdq } from './quantize/static-qdq.js';
import { weightOnlyNBits } from './quantize/weight-nbits.js';
import type { Recipe, RecipeStep, StepName } from './recipe.js';

export interface RecipeContext {
  /** Calibration ranges for static int8 (computed by the caller, which runs the model). */
  readonly ranges?: Ranges;
  /** How int8 GEMM weights are coded (int8 and static-int8; default 'pair-bounded', right on every CPU). */
  readonly int8Weights?: Int8WeightCoding;
  /** MatMulNBits accuracy level (4: int8 activations, the fast path here; 0: exact). */
  readonly nbitsAccuracyLevel?: 0 | 1 | 2 | 3 | 4;
  /** MatMulNBits block size along K (default 32). */
  readonly nbitsBlockSize?: number;
  /** static-int8 activations (default 'uint8' asymmetric). */
  readonly activationType?: 'uint8' | 'int8';
  /** Magnitude pruning's tensor selection (initializer-name globs): include replaces the default scope. */
  readonly pruneInclude?: readonly string[];
  readonly pruneExclude?: readonly string[];
  /** Magnitude pruning's threshold: over all selected tensors ('global', default) or per tensor. */
  readonly pruneScope?: PruneScope;
  /** Magnitude pruning also prunes embedding tables (default false). */
  readonly pruneEmbeddings?: boolean;
  /** The nodes every quantization step touches (fp16 keeps the others in fp32). */
  readonly quantizeSelection?: NodeSelection;
}

/**
 * What one file of a model takes from the others (see `crossFileChoices`): head and neuron importance
 * overrides, so that it drops the units another file dropped. Not part of RecipeContext, which holds options.
 */
export interface CrossFileChoice {
  readonly structuredScores?: StructuredPruneOptions['scores'];
  /**
   * Magnitude pruning's global threshold over every file's weights (each distinct weight once), and the
   * selection it was chosen under: the prune step uses it only when its own selection is the same.
   */
  readonly pruneThreshold?: { readonly threshold: SharedThreshold; readonly selection: PruneSelection };
}

/** The RecipeContext fields that decide which weights magnitude pruning ranks. */
export interface PruneSelection {
  readonly pruneInclude?: readonly string[];
  readonly pruneExclude?: readonly string[];
  readonly pruneEmbeddings?: boolean;
}

function sameSelection(a: PruneSelection, b: PruneSelection): boolean {
  const same = (x: readonly string[] = [], y: readonly string[] = []) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    same(a.pruneInclude, b.pruneInclude) &&
    same(a.pruneExclude, b.pruneExclude) &&
    (a.pruneEmbeddings ?? false) === (b.pruneEmbeddings ?? false)
  );
}

export interface AppliedRecipe {
  readonly model: Model;
  readonly changes: readonly PassChange[];
  /** Sparsity over the pruned weight tensors (magnitude pruning only). */
  readonly sparsity?: number;
  /** … and per group of tensors (attention, ffn, …). */
  readonly sparsityByGroup?: MagnitudePruneReport['groups'];
  /**
   * The steps that must change something (heads, ffn, prune, static-int8) that changed nothing in this file,
   * each with its pass's reasons: a variant whose such step changed nothing in any of its files is not that
   * recipe (see `unchangedVariant`).
   */
  readonly unchanged: readonly UnchangedStep[];
}

export interface UnchangedStep {
  readonly step: StepName;
  readonly reasons: readonly string[];
}

/** One step's result (the whole recipe's `unchanged` is worked out from the changes afterwards). */
type StepResult = Omit<AppliedRecipe, 'unchanged'>;
type Step = (
  model: Model,
  step: RecipeStep,
  recipe: Recipe,
  ctx: RecipeContext,
  shared: CrossFileChoice,
) => StepResult;

const withGraph = (
  model: Model,
  result: { graph: Model['graph']; changes: readonly PassChange[] },
): StepResult => ({
  model: result.graph === model.graph ? model : { ...model, graph: result.graph },
  changes: result.changes,
});

const STEPS: Readonly<Record<StepName, Step>> = {
  // heads and ffn are applied together by the 'heads' entry (or the 'ffn' one when there is no heads step).
  heads: (model, _step, recipe, _ctx, shared) => structured(model, recipe, shared),
  ffn: (model, _step, recipe, _ctx, shared) =>
    recipe.steps.some((s) => s.name === 'heads') ? { model, changes: [] } : structured(model, recipe, shared),
  prune: (model, step, _recipe, ctx, shared) => {
    const chosen = shared.pruneThreshold;
    const threshold =
      chosen !== undefined && sameSelection(chosen.selection, ctx) ? chosen.threshold : undefined;
    const result = magnitudePrune(model.graph, {
      sparsity: step.amount!,
      ...(threshold !== undefined && { threshold }),
      scope: ctx.pruneScope ?? 'global',
      ...(ctx.pruneEmbeddings !== undefined && { includeEmbeddings: ctx.pruneEmbeddings }),
      ...(ctx.pruneInclude !== undefined && { include: ctx.pruneInclude }),
      ...(ctx.pruneExclude !== undefined && { exclude: ctx.pruneExclude }),
    });
    return {
      ...withGraph(model, result),
      sparsity: result.report.sparsity,
      sparsityByGroup: result.report.groups,
    };
  },
  int8: (model, _step, _recipe, ctx) =>
    quantizeModel(model, dynamicInt8, {
      ...ctx.quantizeSelection,
      ...(ctx.int8Weights && { weights: ctx.int8Weights }),
    }),
  'static-int8': (model, _step, _recipe, ctx) =>
    quantizeModel(model, staticQdq, {
      ...ctx.quantizeSelection,
      ranges: ctx.ranges ?? new Map(),
      ...(ctx.int8Weights && { weights: ctx.int8Weights }),
      ...(ctx.activationType && { activationType: ctx.activationType }),
    }),
  // Blocks of 32 with a zero point each: measured on the built-in mlm-small (2 × 128), MLM accuracy 36.0% against
  // 34.7% symmetric (fp32 37.6%; block 16 symmetric 35.8%, asymmetric 36.1%); accuracy_level 0 gave the same as 4.
  q4: (model, _step, _recipe, ctx) =>
    quantizeModel(model, weightOnlyNBits, { ...nbits(ctx), bits: 4, symmetric: false }),
  q8: (model, _step, _recipe, ctx) => quantizeModel(model, weightOnlyNBits, { ...nbits(ctx), bits: 8 }),
  fp16: (model, _step, _recipe, ctx) =>
    withGraph(
      model,
      toFloat16(model.graph, { keepFp32Nodes: unselectedNodes(model, ctx.quantizeSelection) }),
    ),
};

/** What q4 and q8 share: the node selection, block size and accuracy level. */
function nbits(ctx: RecipeContext) {
  return {
    ...ctx.quantizeSelection,
    accuracyLevel: ctx.nbitsAccuracyLevel ?? 4,
    ...(ctx.nbitsBlockSize !== undefined && { blockSize: ctx.nbitsBlockSize }),
  };
}

/**
 * The named nodes (subgraphs included) the quantize selection leaves out, each as an exact pattern: float16 keeps
 * them in fp32. toFloat16 takes node names only, so an op-type rule is resolved against the graph here. Exporters
 * name every node; an unnamed one cannot be named to toFloat16 and is converted.
 */
function unselectedNodes(model: Model, selection: NodeSelection | undefined): RegExp[] {
  if (selection === undefined) return [];
  const select = compileSelection(selection);
  const names = new Set<string>();
  walkGraphs(model.graph, (g) => {
    for (const node of g.nodes) if (node.name !== '' && !select(node).selected) names.add(node.name);
  });
  return [...names].map((n) => new RegExp(`^${n.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`, 's'));
}

function structuredAmounts(recipe: Recipe): { heads?: number; ffn?: number } {
  const heads = recipe.steps.find((s) => s.name === 'heads')?.amount;
  const ffn = recipe.steps.find((s) => s.name === 'ffn')?.amount;
  return { ...(heads !== undefined && { heads }), ...(ffn !== undefined && { ffn }) };
}

function structured(model: Model, recipe: Recipe, shared: CrossFileChoice): StepResult {
  const scores = shared.structuredScores;
  return withGraph(
    model,
    structuredPrune(model.graph, { ...structuredAmounts(recipe), ...(scores !== undefined && { scores }) }),
  );
}

/** One magnitude threshold over all files' weights (undefined without a prune step or with one file). */
function modelPruneThreshold(
  models: readonly Model[],
  recipe: Recipe,
  selection: PruneSelection,
): CrossFileChoice['pruneThreshold'] {
  const sparsity = recipe.steps.find((s) => s.name === 'prune')?.amount;
  if (sparsity === undefined || models.length < 2) return undefined;
  const { pruneInclude: include, pruneExclude: exclude, pruneEmbeddings } = selection;
  const threshold = modelThreshold(
    models.map((m) => m.graph),
    {
      sparsity,
      ...(include !== undefined && { include }),
      ...(exclude !== undefined && { exclude }),
      ...(pruneEmbeddings !== undefined && { includeEmbeddings: pruneEmbeddings }),
    },
  );
  return { threshold, selection };
}

/**
 * What makes one recipe's choices global across a model's files: a seq2seq model's decoder_with_past_model
 * drops the heads and neurons decoder_model drops (the past keys/values of the one feed the other), and
 * magnitude pruning uses one threshold over all files' weights, so the matrices the decoder files share (under
 * different exporter names) get one mask. Pass entry i to applyRecipe for file i; empty for files that choose
 * alone. `selection` (RecipeContext's prune fields) decides which weights the threshold ranks; a prune step
 * under another selection chooses its own.
 */
export function crossFileChoices(
  files: readonly string[],
  models: readonly Model[],
  recipe: Recipe,
  selection: PruneSelection = {},
): CrossFileChoice[] {
  const amounts = structuredAmounts(recipe);
  const pruneThreshold = modelPruneThreshold(models, recipe, selection);
  return sharedStructuredScores(files, models, amounts).map((scores) => ({
    ...(scores !== undefined && { structuredScores: scores }),
    ...(pruneThreshold !== undefined && { pruneThreshold }),
  }));
}

/** What each pruning step's applied changes look like (structuredPrune's details start with these words). */
const EFFECT: Partial<Record<StepName, (c: PassChange) => boolean>> = {
  heads: (c) => c.pass === 'structured-prune' && c.detail.startsWith('heads '),
  ffn: (c) => c.pass === 'structured-prune' && c.detail.startsWith('neurons '),
  prune: (c) => c.pass === 'magnitude-prune',
  // A static-int8 whose activations all lacked a range (values calibration cannot reach) would be fp32 files
  // under the static_int8 name, reported as kept.
  'static-int8': (c) => c.pass === STATIC_QDQ_PASS,
};

/** The pass whose declines explain a step that changed nothing. */
const STEP_PASS: Partial<Record<StepName, string>> = {
  heads: 'structured-prune',
  ffn: 'structured-prune',
  prune: 'magnitude-prune',
  'static-int8': STATIC_QDQ_PASS,
};

/** The reasons a step's pass gave for leaving things alone (structured ones are filed under heads or ffn). */
function reasonsFor(step: StepName, changes: readonly PassChange[]): string[] {
  const pass = STEP_PASS[step];
  return changes
    .filter((c) => c.kind === 'declined' && c.pass === pass)
    .filter((c) => {
      if (step !== 'heads' && step !== 'ffn') return true;
      const ffnReason = /FFN|neurons|feed-forward/.test(c.detail);
      return step === 'ffn' ? ffnReason : !ffnReason;
    })
    .map((c) => `${c.target}: ${c.detail}`);
}

function unchangedSteps(recipe: Recipe, changes: readonly PassChange[]): UnchangedStep[] {
  const out: UnchangedStep[] = [];
  for (const { name } of recipe.steps) {
    const effect = EFFECT[name];
    if (effect === undefined || changes.some((c) => c.kind === 'applied' && effect(c))) continue;
    out.push({ step: name, reasons: reasonsFor(name, changes) });
  }
  return out;
}

/**
 * Why a variant is not its recipe: a pruning or static-int8 step that changed nothing in any of the variant's
 * files (e.g. `heads:0.25` on a model whose attention was not recognised). Its files would be the baseline (or
 * only the other steps) under the recipe's name, so the caller reports the variant declined with this reason
 * instead of writing and keeping it. undefined when every such step changed something somewhere.
 */
export function unchangedVariant(files: readonly AppliedRecipe[]): string | undefined {
  if (files.length === 0) return undefined;
  const steps = files[0]!.unchanged.map((u) => u.step);
  const none = steps.filter((step) => files.every((f) => f.unchanged.some((u) => u.step === step)));
  if (none.length === 0) return undefined;
  const parts = none.map((step) => {
    const reasons = [...new Set(files.flatMap((f) => f.unchanged.find((u) => u.step === step)!.reasons))];
    const shown = reasons.slice(0, 5).join('; ');
    const more = reasons.length > 5 ? `; … ${reasons.length - 5} more` : '';
    return `${step} changed nothing${reasons.length > 0 ? ` (${shown}${more})` : ''}`;
  });
  return `declined: ${parts.join('; ')}`;
}

export function applyRecipe(
  model: Model,
  recipe: Recipe,
  ctx: RecipeContext = {},
  shared: CrossFileChoice = {},
): AppliedRecipe {
  let current = model;
  let sparsity: Pick<AppliedRecipe, 'sparsity' | 'sparsityByGroup'> = {};
  const changes: PassChange[] = [];
  const run = (r: StepResult) => {
    current = r.model;
    changes.push(...r.changes);
    if (r.sparsity !== undefined)
      sparsity = { sparsity: r.sparsity, sparsityByGroup: r.sparsityByGroup ?? {} };
  };
  for (const step of recipe.steps) run(STEPS[step.name](current, step, recipe, ctx, shared));
  // Structured pruning can leave the old shape arithmetic behind; drop what no output reads.
  run(withGraph(current, cleanup(current.graph, { dedupe: false })));
  if (recipe.steps.some((s) => s.name === 'prune')) {
    const opset = current.opsetImports.get('') ?? current.opsetImports.get('ai.onnx') ?? 17;
    run(withGraph(current, encodeSparseWeights(current.graph, { opset })));
  }
  return { model: current, changes, ...sparsity, unchanged: unchangedSteps(recipe, changes) };
}
