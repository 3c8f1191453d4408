/**
 * The default training recipe for a task and model size: what `tlc train` uses for every setting the command
 * line does not give. Chosen from short sweeps on a 2-core CPU; docs/training.md has the table of what was
 * tried and measured, and says which rows are measured and which extrapolate from the small-budget recipes
 * (Cramming BERT, fairseq's RoBERTa and transformer recipes, Xiong et al. 2020 on LayerNorm placement):
 *
 * - ALiBi positions: with a learned table the MLM's attention stayed uniform for thousands of steps.
 * - LayerNorm after each sub-layer (post-LN) up to `POST_LN_MAX_LAYERS` layers per stack: at 6 × 256 it learnt
 *   faster than pre-LN at the same rate (MLM validation loss 5.54 against 5.87 at step 500); deeper stacks
 *   use pre-LN, whose gradients stay bounded without a long warm-up.
 * - A peak learning rate ∝ 1/√width from a measured rate at width 128, so wider models take smaller steps.
 */
import type { PositionScheme } from '../../models/config.js';
import type { Task } from '../../run-folder/run-config.js';

export interface Recipe {
  readonly positions: PositionScheme;
  readonly preLayerNorm: boolean;
  readonly lr: number;
  readonly warmupSteps: number;
  /** Translation label smoothing (MLM ignores it). */
  readonly labelSmoothing: number;
  /** Dropout on activations and attention probabilities. */
  readonly dropout: number;
}

/** The deepest stack (layers per encoder or decoder) that trains post-LN by default. */
export const POST_LN_MAX_LAYERS = 6;

/**
 * Peak learning rate of a 128-wide model; a model of width w takes it × √(128 / w). Translation's 1e-3 is what the
 * shipped `enfr-small` trained with; the 256-wide model then gets 7.1e-4 — at 1e-3 it settled twice on a French
 * language model that ignores the source (docs/training.md).
 */
const BASE_LR: Readonly<Record<Task, number>> = { mlm: 2e-3, translation: 1e-3 };

/**
 * ALiBi biases self-attention only (cross-attention has no position bias), so nothing tells the decoder which
 * source position it attends to. It starts faster on en→fr (validation loss 4.85 against 5.18 at step 238 for
 * 5 + 5 × 256) but does not learn to align: in 26 minutes side by side the 2 + 2 × 128 model's validation loss
 * bottomed out at 3.74 and then rose (BLEU below 1), where learned tables reached 3.27 and BLEU 13
 * (docs/training.md, table D). Translation keeps learned tables.
 */
const POSITIONS: Readonly<Record<Task, PositionScheme>> = { mlm: 'alibi', translation: 'learned' };

/**
 * Warm-up and dropout. MLM: measured at 100 steps; dropout 0.1 (the shipped MLM pair trained without, as
 * Cramming BERT does). Translation: the en→fr corpus has 5,629 training pairs, and at dropout 0.1 the 5 + 5 × 256
 * model memorised it (training loss 3.32, validation flat at 3.78 from step 1,500, one verse for every input).
 * With dropout 0.3 (fairseq's low-resource transformer setting) and 400 warm-up steps, side by side for 105
 * minutes, it reached validation BLEU 13 by step 2,500 and the 2 + 2 × 128 model 13 by step 8,000 (0.1 / 100:
 * 0.7 and 9.1); docs/training.md has the curves.
 */
const WARMUP_STEPS: Readonly<Record<Task, number>> = { mlm: 100, translation: 400 };
const DROPOUT: Readonly<Record<Task, number>> = { mlm: 0.1, translation: 0.3 };

/** Two significant digits, so that the chosen rate reads cleanly in logs and cards (1.41e-3 → 1.4e-3). */
function round2(x: number): number {
  const digits = Math.floor(Math.log10(x)) - 1;
  return Number((Math.round(x / 10 ** digits) * 10 ** digits).toPrecision(2));
}

export function defaultRecipe(
  task: Task,
  size: { readonly layers: number; readonly dModel: number },
): Recipe {
  return {
    positions: POSITIONS[task],
    preLayerNorm: size.layers > POST_LN_MAX_LAYERS,
    lr: round2(BASE_LR[task] * Math.sqrt(128 / size.dModel)),
    warmupSteps: WARMUP_STEPS[task],
    labelSmoothing: 0.1,
    dropout: DROPOUT[task],
  };
}
