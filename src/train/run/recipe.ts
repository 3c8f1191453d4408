/**
 * The default training recipe for a model size: what `tlc train` uses for every setting the command line does
 * not give. Chosen from short sweeps on a 2-core CPU (docs/training.md has the table of what was tried and
 * measured); the rules follow the small-budget recipes (Cramming BERT, fairseq's RoBERTa and transformer):
 *
 * - ALiBi positions: with a learned table the MLM's attention stayed uniform for thousands of steps.
 * - Post-LN for shallow models, pre-LN from `PRE_LN_FROM_LAYERS` layers per stack: post-LN learns faster per
 *   step while it is stable, and becomes unstable as depth grows at these learning rates.
 * - A peak learning rate that falls with width (∝ 1/√width, as μP-style and fairseq's base/large recipes do)
 *   and with depth for pre-LN stacks.
 */
import type { PositionScheme } from '../../models/config.js';
import type { Task } from './config.js';

export interface Recipe {
  readonly positions: PositionScheme;
  readonly preLayerNorm: boolean;
  readonly lr: number;
  readonly warmupSteps: number;
  /** Translation label smoothing (MLM ignores it). */
  readonly labelSmoothing: number;
}

/** Layers per stack from which the recipe switches to pre-LN. */
export const PRE_LN_FROM_LAYERS = 5;

/** Peak learning rate of a 128-wide model; wider ones scale it by √(128 / width). */
const BASE_LR: Readonly<Record<Task, number>> = { mlm: 2e-3, translation: 1e-3 };

/** Rounds to two significant digits, so that the chosen rate reads cleanly in logs and cards. */
function round2(x: number): number {
  const p = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.round(x / p) * p;
}

export function defaultRecipe(
  task: Task,
  size: { readonly layers: number; readonly dModel: number },
): Recipe {
  const preLayerNorm = size.layers >= PRE_LN_FROM_LAYERS;
  const lr = round2(BASE_LR[task] * Math.sqrt(128 / size.dModel));
  return {
    positions: 'alibi',
    preLayerNorm,
    lr,
    warmupSteps: task === 'mlm' ? 200 : 400,
    labelSmoothing: 0.1,
  };
}
