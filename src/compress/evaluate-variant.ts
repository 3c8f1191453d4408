/**
 * The task score of a variant on `--eval-data`, and the points it loses against fp32: MLM accuracy for
 * fill-mask models (points on the 0–100 scale), BLEU and chrF for translation models (BLEU points).
 */
import { join } from 'node:path';
import type { ModelTask } from '../model-folder/tlc-json.js';
import { evaluateFillMask } from './evaluate-fill-mask.js';
import { evaluateTranslation } from './evaluate-translation.js';

export interface VariantScores {
  /** Fill-mask: MLM accuracy, 0–1. */
  readonly accuracy?: number;
  /** Fill-mask: perplexity of the masked tokens. */
  readonly perplexity?: number;
  /** Translation: corpus BLEU, 0–100. */
  readonly bleu?: number;
  /** Translation: corpus chrF, 0–100. */
  readonly chrf?: number;
}

export interface EvaluateVariantOptions {
  readonly threads: number;
  /** Fill-mask: the block length of the evaluation text. */
  readonly sequenceLength: number;
  /** Fill-mask: tokens of the evaluation text scored (default 16384). */
  readonly maxTokens?: number;
}

/** Scores the variant whose files (relative to `folder`) are `files` on `evalFile`. */
export async function evaluateVariant(
  task: ModelTask,
  folder: string,
  files: readonly string[],
  evalFile: string,
  o: EvaluateVariantOptions,
): Promise<VariantScores> {
  switch (task) {
    case 'fill-mask':
      return evaluateFillMask(join(folder, files[0]!), folder, evalFile, o.threads, {
        sequenceLength: o.sequenceLength,
        ...(o.maxTokens !== undefined && { maxTokens: o.maxTokens }),
      });
    case 'translation': {
      const { bleu, chrf } = await evaluateTranslation(folder, files, evalFile, { threads: o.threads });
      return { bleu, chrf };
    }
    default: {
      const never: never = task;
      return never;
    }
  }
}

/** Points the variant lost against the baseline (undefined when either was not scored), and of what. */
export function pointsLost(
  base: VariantScores,
  variant: VariantScores,
): { points: number; metric: 'accuracy' | 'BLEU' } | undefined {
  if (base.bleu !== undefined && variant.bleu !== undefined)
    return { points: base.bleu - variant.bleu, metric: 'BLEU' };
  if (base.accuracy !== undefined && variant.accuracy !== undefined)
    return { points: (base.accuracy - variant.accuracy) * 100, metric: 'accuracy' };
  return undefined;
}
