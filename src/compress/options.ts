/** What `compress()` takes: the recipes, scoring, timing and the source's options (prepare-source.ts). */
import type { Device } from '../ort/session.js';
import type { NodeSelection } from './common/selection.js';
import type { SourceOptions } from './prepare-source.js';
import type { PruneScope } from './prune/threshold.js';
import type { CalibrationKind } from './quantize/calibrate.js';
import type { Int8WeightCoding } from './quantize/int8-coding.js';
import type { Recipe } from './recipe.js';

export interface CompressOptions extends SourceOptions {
  readonly recipes: readonly Recipe[];
  /** Data to score variants on: a text file (MLM accuracy, fill-mask) or a TSV of pairs (BLEU, translation). */
  readonly evalData?: string;
  /** Fill-mask: tokens of --eval-data scored per variant (default 16384). */
  readonly evalTokens?: number;
  /**
   * Drop variants that fall more than this many points below fp32: accuracy points (0–100 scale) for
   * fill-mask, BLEU points for translation.
   */
  readonly maxAccuracyDrop?: number;
  /** Magnitude pruning's selection: initializer-name globs (include replaces the blocks-only default). */
  readonly pruneInclude?: readonly string[];
  readonly pruneExclude?: readonly string[];
  /** Magnitude pruning: one threshold over every selected tensor ('global', default) or S of each tensor. */
  readonly pruneScope?: PruneScope;
  /** Magnitude pruning also prunes embedding tables (initializers read by Gather; default false). */
  readonly pruneEmbeddings?: boolean;
  /**
   * Which nodes the quantization steps (int8, static-int8, q4, q8, fp16) touch: node-name globs, or `op:GLOB`
   * for op types (`quantizeSelection` turns them into a NodeSelection). fp16 keeps what they leave out in fp32.
   */
  readonly quantizeInclude?: readonly string[];
  readonly quantizeExclude?: readonly string[];
  /** q4/q8: MatMulNBits block size along K, a power of two ≥ 16 (default 32). */
  readonly nbitsBlockSize?: number;
  /** q4/q8: MatMulNBits accuracy_level (default 4: int8 activations per block, the fast path; 0: fp32). */
  readonly nbitsAccuracyLevel?: 0 | 1 | 2 | 3 | 4;
  /** static-int8 activations: 'uint8' asymmetric (default) or 'int8' symmetric. */
  readonly staticActivations?: 'uint8' | 'int8';
  /** Time the variants (default true): interleaved with fp32 in rounds, after all are built. */
  readonly latency?: boolean;
  /** The inputs they are timed on (default: --batch × --sequence). */
  readonly latencyShape?: { readonly batch: number; readonly sequence: number };
  /** Rounds of interleaved timing (default 15; validate/latency.ts). */
  readonly latencyRounds?: number;
  /** More rounds until this many seconds have passed, up to 60 rounds (default 0: the rounds only). */
  readonly latencySeconds?: number;
  /** How int8 GEMM weights are coded (default 'pair-bounded'; 'full' only for CPUs with VNNI, AMX or ARM dot). */
  readonly int8Weights?: Int8WeightCoding;
  /** How static-int8 turns calibration activations into ranges (default minmax). */
  readonly calibration?: CalibrationKind;
  /** Histogram bins of percentile and entropy calibration (default 2048; an even number ≥ 16). */
  readonly calibrationBins?: number;
  readonly device?: Device;
  /** ONNX Runtime intra-op threads for latency, scoring and calibration (default 2). */
  readonly threads?: number;
  readonly batch?: number;
  readonly sequence?: number;
  readonly log?: (message: string) => void;
}

/** The prefix that makes a --quantize-include / --quantize-exclude glob match op types instead of node names. */
export const OP_PREFIX = 'op:';

/**
 * `quantizeInclude` / `quantizeExclude` as the passes' NodeSelection: `op:MatMul` matches the op type, anything
 * else the node name. One pair of lists for both keeps the flags few; the passes combine names and op types with
 * AND (common/selection.ts), so `--quantize-include 'op:MatMul' --quantize-exclude '*lm_head*'` reads as said.
 */
export function quantizeSelection(
  include: readonly string[] | undefined,
  exclude: readonly string[] | undefined,
): NodeSelection | undefined {
  if ((include?.length ?? 0) === 0 && (exclude?.length ?? 0) === 0) return undefined;
  const ops = (list: readonly string[] | undefined) =>
    (list ?? []).filter((g) => g.startsWith(OP_PREFIX)).map((g) => g.slice(OP_PREFIX.length));
  const names = (list: readonly string[] | undefined) => (list ?? []).filter((g) => !g.startsWith(OP_PREFIX));
  const selection: NodeSelection = {
    includeNodes: names(include),
    excludeNodes: names(exclude),
    includeOps: ops(include),
    excludeOps: ops(exclude),
  };
  return selection;
}
