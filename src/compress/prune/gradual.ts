/**
 * Gradual magnitude pruning during training (Zhu & Gupta 2017, "To prune, or not to prune"): the sparsity
 * target rises along a cubic from s_i at step t0 to s_f at t0 + nΔt,
 *
 *   s_t = s_f + (s_i − s_f) · (1 − (t − t0) / (nΔt))³,
 *
 * fast at first, while redundant weights are plenty, slowly near the end. Every Δt steps the masks are
 * recomputed from the current magnitudes; after every optimizer step the pruned weights are set back to zero,
 * and so are their AdamW moments, so a pruned weight restarts from nothing if a later mask revives it.
 *
 * It works on the trainer's public surface: `trainer.params` (written in place, after `trainStep`) and
 * `trainer.optimizer.state`.
 */
import { TlcError } from '../../errors/index.js';
import type { ParamInfo } from '../../models/context.js';
import type { ParamState } from '../../train/adamw.js';
import { validateSparsity } from './magnitude.js';
import { type NameFilter, nameFilter } from './patterns.js';
import { magnitudeMasks, type PruneScope } from './threshold.js';

export interface CubicSchedule {
  /** s_i, the sparsity at `startStep` (default 0). */
  readonly initialSparsity?: number;
  /** s_f, reached at `endStep` and kept after it. */
  readonly finalSparsity: number;
  /** t0: the first step that prunes. */
  readonly startStep: number;
  /** t0 + nΔt: the step at which the final sparsity is reached. */
  readonly endStep: number;
  /** Δt: masks are recomputed every this many steps (default 1). */
  readonly frequency?: number;
}

export function validateSchedule(s: CubicSchedule): void {
  validateSparsity(s.finalSparsity, 'finalSparsity');
  validateSparsity(s.initialSparsity ?? 0, 'initialSparsity');
  const frequency = s.frequency ?? 1;
  if (!Number.isInteger(s.startStep) || s.startStep < 0) {
    throw new TlcError('CONFIG_INVALID', `startStep must be a non-negative integer, got ${s.startStep}`);
  }
  if (!Number.isInteger(s.endStep) || s.endStep < s.startStep) {
    throw new TlcError('CONFIG_INVALID', `endStep must be an integer ≥ startStep, got ${s.endStep}`);
  }
  if (!Number.isInteger(frequency) || frequency < 1) {
    throw new TlcError('CONFIG_INVALID', `frequency must be a positive integer, got ${frequency}`);
  }
}

/**
 * The target sparsity after `step` optimizer steps: 0 before t0, s_f from the end on, the cubic in between,
 * held constant between mask updates (evaluated at the last update step t0 + kΔt ≤ step).
 */
export function cubicSparsity(step: number, s: CubicSchedule): number {
  const si = s.initialSparsity ?? 0;
  if (step < s.startStep) return 0;
  if (step >= s.endStep) return s.finalSparsity;
  const frequency = s.frequency ?? 1;
  const t = s.startStep + Math.floor((step - s.startStep) / frequency) * frequency;
  const progress = (t - s.startStep) / (s.endStep - s.startStep);
  return s.finalSparsity + (si - s.finalSparsity) * (1 - progress) ** 3;
}

/** What the pruner needs of a trainer (src/train/trainer.ts's Trainer has all of it). */
export interface PrunableTrainer {
  /** Optimizer updates applied so far. */
  readonly step: number;
  readonly params: ReadonlyMap<string, Float32Array>;
  readonly paramInfo: readonly ParamInfo[];
  readonly optimizer: { readonly state: ReadonlyMap<string, ParamState> };
}

export interface GradualPruningOptions extends CubicSchedule, NameFilter {
  /** 'global' (default): one threshold over all pruned parameters; 'per-tensor': each to the target. */
  readonly scope?: PruneScope;
  /** Also prune embedding tables (off by default, as in magnitudePrune). */
  readonly includeEmbeddings?: boolean;
}

export interface PruneStepReport {
  readonly step: number;
  /** The schedule's target at this step. */
  readonly target: number;
  /** Zeros over the pruned parameters after masking. */
  readonly sparsity: number;
  /** Whether the masks were recomputed at this step. */
  readonly updated: boolean;
}

export class GradualPruner {
  /** The parameters this pruner masks. */
  readonly names: readonly string[];
  private masks: Uint8Array[] | undefined;
  private maskTarget = 0;

  constructor(
    private readonly trainer: PrunableTrainer,
    readonly options: GradualPruningOptions,
  ) {
    validateSchedule(options);
    const filter = nameFilter(options);
    this.names = trainer.paramInfo
      .filter((p) => p.role === 'weight' || (options.includeEmbeddings === true && p.role === 'embedding'))
      .filter((p) => p.shape.length === 2 && filter(p.name) === undefined)
      .map((p) => p.name);
    if (this.names.length === 0)
      throw new TlcError('CONFIG_INVALID', 'no parameter matches the pruning selection');
    for (const name of this.names) {
      if (!trainer.params.has(name))
        throw new TlcError('CONFIG_INVALID', `the trainer has no parameter "${name}"`);
    }
  }

  private values(): Float32Array[] {
    return this.names.map((n) => this.trainer.params.get(n)!);
  }

  /**
   * Call after each `trainStep`: recomputes the masks when the schedule says so (every Δt steps from t0 to
   * the end step), then zeroes the pruned weights and their AdamW moments.
   */
  afterStep(): PruneStepReport {
    const step = this.trainer.step;
    const target = cubicSparsity(step, this.options);
    const frequency = this.options.frequency ?? 1;
    const due =
      step >= this.options.startStep &&
      step <= this.options.endStep &&
      ((step - this.options.startStep) % frequency === 0 || step === this.options.endStep);
    const updated = due && (this.masks === undefined || target !== this.maskTarget);
    if (updated) {
      this.masks = magnitudeMasks(this.values(), target, this.options.scope ?? 'global');
      this.maskTarget = target;
    }
    this.apply();
    return {
      step,
      target: this.masks === undefined ? 0 : this.maskTarget,
      sparsity: this.sparsity(),
      updated,
    };
  }

  /** Zeroes the masked weights and their optimizer moments (no-op before the first mask). */
  apply(): void {
    if (this.masks === undefined) return;
    this.names.forEach((name, t) => {
      const mask = this.masks![t]!;
      const p = this.trainer.params.get(name)!;
      const state = this.trainer.optimizer.state.get(name);
      for (let i = 0; i < mask.length; i++) {
        if (mask[i] !== 0) continue;
        p[i] = 0;
        if (state !== undefined) {
          state.m[i] = 0;
          state.v[i] = 0;
        }
      }
    });
  }

  /** Fraction of zeros over the pruned parameters. */
  sparsity(): number {
    let zeros = 0;
    let total = 0;
    for (const v of this.values()) {
      total += v.length;
      for (let i = 0; i < v.length; i++) if (v[i] === 0) zeros++;
    }
    return total === 0 ? 0 : zeros / total;
  }
}
