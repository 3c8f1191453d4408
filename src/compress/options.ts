/** What `compress()` takes: the recipes, scoring, timing and the source's options (prepare-source.ts). */
import type { Device } from '../ort/session.js';
import type { SourceOptions } from './prepare-source.js';
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
  readonly device?: Device;
  readonly threads?: number;
  readonly batch?: number;
  readonly sequence?: number;
  readonly log?: (message: string) => void;
}
