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
 * Each task's measured rate, positions, warm-up and dropout are its own (src/tasks/<task>/about.ts `training`).
 */
import type { PositionScheme } from '../../models/config.js';
import type { Task } from '../../run-folder/run-config.js';
import { aboutRun } from '../../tasks/catalog.js';

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

/** Two significant digits, so that the chosen rate reads cleanly in logs and cards (1.41e-3 → 1.4e-3). */
function round2(x: number): number {
  const digits = Math.floor(Math.log10(x)) - 1;
  return Number((Math.round(x / 10 ** digits) * 10 ** digits).toPrecision(2));
}

export function defaultRecipe(
  task: Task,
  size: { readonly layers: number; readonly dModel: number },
): Recipe {
  // The task's measured defaults (src/tasks/<task>/about.ts `training`).
  const defaults = aboutRun(task).training;
  return {
    positions: defaults.positions,
    preLayerNorm: size.layers > POST_LN_MAX_LAYERS,
    lr: round2(defaults.baseLr * Math.sqrt(128 / size.dModel)),
    warmupSteps: defaults.warmupSteps,
    labelSmoothing: 0.1,
    dropout: defaults.dropout,
  };
}
