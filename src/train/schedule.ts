/** Learning-rate schedules: linear warm-up, then constant, linear, cosine or inverse-square-root decay. */
import { TlcError } from '../errors/index.js';
import type { DecayKind } from '../run-folder/run-config.js';

export interface ScheduleOptions {
  readonly peak: number;
  readonly warmupSteps: number;
  readonly decay: DecayKind;
  /** Steps at which linear / cosine decay reach `minRatio × peak` (required for those two). */
  readonly totalSteps?: number;
  /** Floor as a fraction of the peak for linear / cosine decay (default 0). */
  readonly minRatio?: number;
}

/** The learning rate for a 1-based step number. */
export type Schedule = (step: number) => number;

function check(o: { peak: number; warmupSteps: number }): void {
  if (!(o.peak > 0)) throw new TlcError('CONFIG_INVALID', `learning rate must be positive, got ${o.peak}`);
  if (!(o.warmupSteps >= 0))
    throw new TlcError('CONFIG_INVALID', `warm-up steps must be ≥ 0, got ${o.warmupSteps}`);
}

/** The rate after warm-up, given the fraction of the decay that is done (0…1). */
function decayed(o: Omit<ScheduleOptions, 'totalSteps'>, done: number, step: number): number {
  const floor = (o.minRatio ?? 0) * o.peak;
  switch (o.decay) {
    case 'constant':
      return o.peak;
    case 'linear':
      return floor + (o.peak - floor) * (1 - done);
    case 'cosine':
      return floor + (o.peak - floor) * 0.5 * (1 + Math.cos(Math.PI * done));
    case 'inverse_sqrt':
      return (o.peak * Math.sqrt(Math.max(1, o.warmupSteps))) / Math.sqrt(step);
    default: {
      const never: never = o.decay;
      throw new TlcError('CONFIG_INVALID', `unknown decay "${String(never)}"`);
    }
  }
}

export function makeSchedule(o: ScheduleOptions): Schedule {
  check(o);
  const warm = o.warmupSteps;
  if (
    (o.decay === 'linear' || o.decay === 'cosine') &&
    !(o.totalSteps !== undefined && o.totalSteps > warm)
  ) {
    throw new TlcError(
      'CONFIG_INVALID',
      `${o.decay} decay needs a total step count above the warm-up (${warm})`,
    );
  }
  const total = o.totalSteps ?? 0;
  return (step: number) => {
    if (step <= warm) return (o.peak * step) / Math.max(1, warm);
    return decayed(o, Math.min(1, (step - warm) / Math.max(1, total - warm)), step);
  };
}

/**
 * A schedule whose decay follows training progress, measured in steps (`maxSteps`), in training seconds
 * (`budgetSeconds`, read from `elapsed()`), or both (whichever is further along): what a wall-clock budget
 * needs, since the number of steps that fit is not known in advance. Warm-up is always in steps.
 * Resume is bit-exact only for step-based progress.
 */
export function makeProgressSchedule(
  o: Omit<ScheduleOptions, 'totalSteps'> & { maxSteps?: number; budgetSeconds?: number },
  elapsed: () => number,
): Schedule {
  check(o);
  return (step: number) => {
    if (step <= o.warmupSteps) return (o.peak * step) / Math.max(1, o.warmupSteps);
    const bySteps =
      o.maxSteps === undefined ? 0 : (step - o.warmupSteps) / Math.max(1, o.maxSteps - o.warmupSteps);
    const byTime = o.budgetSeconds === undefined ? 0 : elapsed() / o.budgetSeconds;
    return decayed(o, Math.min(1, Math.max(bySteps, byTime)), step);
  };
}
