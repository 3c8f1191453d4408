/**
 * Every option of the compression library, and how a user of `export-and-compress` / `tlc compress` reaches it.
 * Each table is `satisfies Record<keyof TheOptionType, …>`, so an option added to CompressOptions, the recipe
 * context or a pass's option type fails type-checking until it is given a flag here or a written reason why it
 * is not a user option (issue 28: the prune filters existed in CompressOptions but had no flag, and nothing
 * noticed). test/cli/compress-options.test.ts checks that every flag named here is registered, with help text,
 * on both commands.
 */

import type { RecipeContext } from '../../compress/apply-recipe.js';
import type { CompressOptions } from '../../compress/compress.js';
import type { MagnitudePruneOptions } from '../../compress/prune/magnitude.js';
import type { StructuredPruneOptions } from '../../compress/prune/structured/prune.js';
import type { CalibrateOptions } from '../../compress/quantize/calibrate.js';
import type {
  DynamicInt8Options,
  Float16Options,
  StaticQdqOptions,
  WeightOnlyNBitsOptions,
} from '../../compress/quantize/options.js';

/** A CompressOptions key that a user sets: the long flag (as commander spells it) that sets it. */
export interface FlagRow {
  readonly flag: `--${string}`;
  /** `tlc compress` takes this one as its `<recipe>` argument instead of the flag. */
  readonly compressArgument?: 'recipe';
}
/** A key no user sets, and why. */
export interface NotUserRow {
  readonly notUser: string;
}
export type CompressOptionRow = FlagRow | NotUserRow;

export const COMPRESS_OPTION_FLAGS = {
  recipes: { flag: '--recipe', compressArgument: 'recipe' },
  evalData: { flag: '--eval-data' },
  evalTokens: { flag: '--eval-tokens' },
  maxAccuracyDrop: { flag: '--max-accuracy-drop' },
  pruneInclude: { flag: '--prune-include' },
  pruneExclude: { flag: '--prune-exclude' },
  latency: { flag: '--no-latency' },
  latencyShape: { flag: '--latency-shape' },
  latencyRounds: { flag: '--latency-rounds' },
  latencySeconds: { flag: '--latency-seconds' },
  int8Weights: { flag: '--int8-weights' },
  calibration: { flag: '--calibration' },
  device: { flag: '--device' },
  threads: { flag: '--threads' },
  batch: { flag: '--batch' },
  sequence: { flag: '--sequence' },
  force: { flag: '--force' },
  config: { flag: '--config' },
  tokenizer: { flag: '--tokenizer' },
  log: { notUser: 'the progress callback: the CLI passes its progress bar' },
} as const satisfies Record<keyof CompressOptions, CompressOptionRow>;

/**
 * How an option of the recipe context or of a pass is set when compressing:
 * - `via`: from that CompressOptions key (so by its flag above);
 * - `recipe`: by the recipe text (`prune:0.5`, `q4`…);
 * - `fixed`: TLC fixes it, for the reason given;
 * - `gap`: a user option the CLI does not reach yet, and what reaching it needs (tracked in issue 28).
 */
export type PassOptionRow =
  | { readonly via: keyof typeof COMPRESS_OPTION_FLAGS }
  | { readonly recipe: string }
  | { readonly fixed: string }
  | { readonly gap: string };

const OPSETS = { fixed: "quantizeModel fills in the model's own opset imports" } as const;
const NODE_SELECTION_GAP =
  'quantization node selection: needs CompressOptions fields passed through RecipeContext to quantizeModel';
const NODE_SELECTION = {
  includeNodes: { gap: NODE_SELECTION_GAP },
  excludeNodes: { gap: NODE_SELECTION_GAP },
  includeOps: { gap: NODE_SELECTION_GAP },
  excludeOps: { gap: NODE_SELECTION_GAP },
} as const;
const FOLD_BIAS = {
  fixed:
    'folding a constant bias into the quantized op is exact and saves a node; there is no reason to keep it',
} as const;

export const PASS_OPTION_ROUTES = {
  recipeContext: {
    ranges: { via: 'calibration' },
    int8Weights: { via: 'int8Weights' },
    nbitsAccuracyLevel: {
      gap: 'MatMulNBits accuracy level: compress() passes none to applyRecipe; needs CompressOptions.nbitsAccuracyLevel',
    },
    pruneInclude: { via: 'pruneInclude' },
    pruneExclude: { via: 'pruneExclude' },
  } satisfies Record<keyof RecipeContext, PassOptionRow>,
  magnitudePrune: {
    sparsity: { recipe: 'prune:S' },
    scope: { gap: "'per-tensor' scope: apply-recipe.ts always passes 'global'" },
    includeEmbeddings: { gap: 'pruning embedding tables: apply-recipe.ts never sets includeEmbeddings' },
    include: { via: 'pruneInclude' },
    exclude: { via: 'pruneExclude' },
  } satisfies Record<keyof MagnitudePruneOptions, PassOptionRow>,
  structuredPrune: {
    heads: { recipe: 'heads:F' },
    ffn: { recipe: 'ffn:F' },
    scores: {
      fixed:
        'importance comes from the weights; score overrides are for library callers with their own scores',
    },
  } satisfies Record<keyof StructuredPruneOptions, PassOptionRow>,
  dynamicInt8: {
    weights: { via: 'int8Weights' },
    weightZeroPoint: { fixed: 'an explicit zero-point input of zeros gives the same result as none' },
    foldBias: FOLD_BIAS,
    embeddings: {
      fixed:
        'a tied table quantized once is 5.60 MB against 13.76 MB without, at the same speed (dynamic-int8.ts)',
    },
    embeddingLayout: {
      fixed: "'gather-dequantize': dequantizing the whole table on every run is slower (dynamic-int8.ts)",
    },
    opsets: OPSETS,
    ...NODE_SELECTION,
  } satisfies Record<keyof DynamicInt8Options, PassOptionRow>,
  staticQdq: {
    ranges: { via: 'calibration' },
    activationType: { gap: 'int8 (symmetric) activations for static-int8: needs a CompressOptions field' },
    weights: { via: 'int8Weights' },
    opsets: OPSETS,
    ...NODE_SELECTION,
  } satisfies Record<keyof StaticQdqOptions, PassOptionRow>,
  weightOnlyNBits: {
    bits: { recipe: 'q4 or q8' },
    blockSize: { gap: 'q4/q8 block size: needs a CompressOptions field passed through RecipeContext' },
    symmetric: {
      fixed:
        'q4 asymmetric (measured: 36.0% MLM accuracy against 34.7% symmetric), q8 symmetric (apply-recipe.ts)',
    },
    accuracyLevel: {
      gap: 'MatMulNBits accuracy level: compress() passes none to applyRecipe; needs CompressOptions.nbitsAccuracyLevel',
    },
    foldBias: FOLD_BIAS,
    opsets: OPSETS,
    ...NODE_SELECTION,
  } satisfies Record<keyof WeightOnlyNBitsOptions, PassOptionRow>,
  float16: {
    keepFp32Ops: {
      fixed: "normalisation, exponentials and losses lose too much in fp16's range (FP32_OPS in registry.ts)",
    },
    keepDecomposedLayerNorm: {
      fixed: 'a decomposed LayerNorm is the same normalisation FP32_OPS keeps in fp32',
    },
    keepIoTypes: { fixed: 'the served interface stays float32: the server and tokenizers feed float32' },
    keepFp32Nodes: {
      gap: 'fp16 node exclusions: needs a CompressOptions field passed through RecipeContext',
    },
  } satisfies Record<keyof Float16Options, PassOptionRow>,
  calibrate: {
    method: { via: 'calibration' },
    values: { fixed: 'the activations static-int8 quantizes, found from the graph' },
    bins: { gap: 'histogram bins for percentile/entropy: --calibration takes the method only' },
    threads: { gap: '--threads does not reach calibrate(): compress.ts passes only the method' },
    ...NODE_SELECTION,
  } satisfies Record<keyof CalibrateOptions, PassOptionRow>,
} as const;
