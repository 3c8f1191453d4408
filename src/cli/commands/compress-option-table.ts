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
  pruneScope: { flag: '--prune-scope' },
  pruneEmbeddings: { flag: '--prune-embeddings' },
  quantizeInclude: { flag: '--quantize-include' },
  quantizeExclude: { flag: '--quantize-exclude' },
  nbitsBlockSize: { flag: '--nbits-block-size' },
  nbitsAccuracyLevel: { flag: '--nbits-accuracy-level' },
  staticActivations: { flag: '--static-activations' },
  latency: { flag: '--no-latency' },
  latencyShape: { flag: '--latency-shape' },
  latencyRounds: { flag: '--latency-rounds' },
  latencySeconds: { flag: '--latency-seconds' },
  int8Weights: { flag: '--int8-weights' },
  calibration: { flag: '--calibration' },
  calibrationBins: { flag: '--calibration-bins' },
  device: { flag: '--device' },
  threads: { flag: '--threads' },
  batch: { flag: '--batch' },
  sequence: { flag: '--sequence' },
  force: { flag: '--force' },
  config: { flag: '--config' },
  tokenizer: { flag: '--tokenizer' },
  dynamicAxes: { flag: '--dynamic-axes' },
  pooling: { flag: '--pooling' },
  log: { notUser: 'the progress callback: the CLI passes its progress bar' },
} as const satisfies Record<keyof CompressOptions, CompressOptionRow>;

type CompressKey = keyof typeof COMPRESS_OPTION_FLAGS;

/**
 * How an option of the recipe context or of a pass is set when compressing:
 * - `via`: from that CompressOptions key, or those keys (so by their flags above);
 * - `recipe`: by the recipe text (`prune:0.5`, `q4`…);
 * - `fixed`: TLC fixes it, for the reason given;
 * - `gap`: a user option the CLI does not reach yet, and what reaching it needs (issue 28 closed every one;
 *   the row kind stays so that a new one is written down in sight of review rather than left out).
 */
export type PassOptionRow =
  | { readonly via: CompressKey | readonly CompressKey[] }
  | { readonly recipe: string }
  | { readonly fixed: string }
  | { readonly gap: string };

const OPSETS = { fixed: "quantizeModel fills in the model's own opset imports" } as const;
/** --quantize-include / --quantize-exclude: node-name globs, `op:GLOB` for op types (quantizeSelection). */
const NODE_SELECTION = {
  includeNodes: { via: 'quantizeInclude' },
  excludeNodes: { via: 'quantizeExclude' },
  includeOps: { via: 'quantizeInclude' },
  excludeOps: { via: 'quantizeExclude' },
} as const;
const FOLD_BIAS = {
  fixed:
    'folding a constant bias into the quantized op is exact and saves a node; there is no reason to keep it',
} as const;

export const PASS_OPTION_ROUTES = {
  recipeContext: {
    ranges: { via: 'calibration' },
    int8Weights: { via: 'int8Weights' },
    nbitsAccuracyLevel: { via: 'nbitsAccuracyLevel' },
    nbitsBlockSize: { via: 'nbitsBlockSize' },
    activationType: { via: 'staticActivations' },
    pruneInclude: { via: 'pruneInclude' },
    pruneExclude: { via: 'pruneExclude' },
    pruneScope: { via: 'pruneScope' },
    pruneEmbeddings: { via: 'pruneEmbeddings' },
    quantizeSelection: { via: ['quantizeInclude', 'quantizeExclude'] },
  } satisfies Record<keyof RecipeContext, PassOptionRow>,
  magnitudePrune: {
    sparsity: { recipe: 'prune:S' },
    scope: { via: 'pruneScope' },
    includeEmbeddings: { via: 'pruneEmbeddings' },
    include: { via: 'pruneInclude' },
    exclude: { via: 'pruneExclude' },
    threshold: {
      fixed:
        "a threshold chosen over all of a model's files, so that a seq2seq's decoder copies prune alike: compress chooses it",
    },
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
    activationType: { via: 'staticActivations' },
    weights: { via: 'int8Weights' },
    opsets: OPSETS,
    ...NODE_SELECTION,
  } satisfies Record<keyof StaticQdqOptions, PassOptionRow>,
  weightOnlyNBits: {
    bits: { recipe: 'q4 or q8' },
    blockSize: { via: 'nbitsBlockSize' },
    symmetric: {
      fixed:
        'q4 asymmetric (measured: 36.0% MLM accuracy against 34.7% symmetric), q8 symmetric (apply-recipe.ts)',
    },
    accuracyLevel: { via: 'nbitsAccuracyLevel' },
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
    // The quantize selection, resolved to node names (apply-recipe.ts unselectedNodes): what a user leaves out of
    // quantizing is left out of fp16 the same way.
    keepFp32Nodes: { via: ['quantizeExclude', 'quantizeInclude'] },
  } satisfies Record<keyof Float16Options, PassOptionRow>,
  calibrate: {
    method: { via: 'calibration' },
    values: { fixed: 'the activations static-int8 quantizes, found from the graph' },
    bins: { via: 'calibrationBins' },
    threads: { via: 'threads' },
    ...NODE_SELECTION,
  } satisfies Record<keyof CalibrateOptions, PassOptionRow>,
} as const;
