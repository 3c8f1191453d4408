/** Learning-rate schedules: linear warm-up, then constant, linear, cosine or inverse-square-root decay. */
import { TlcError } from '../errors/index.js';

export type DecayKind = 'constant' | 'linear' | 'cosine' | 'inverse_sqrt';

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

export function makeSchedule(o: ScheduleOptions): Schedule {
  if (!(o.peak > 0)) throw new TlcError('CONFIG_INVALID', `learning rate must be positive, got ${o.peak}`);
  if (!(o.warmupSteps >= 0))
    throw new TlcError('CONFIG_INVALID', `warm-up steps must be ≥ 0, got ${o.warmupSteps}`);
  const floor = (o.minRatio ?? 0) * o.peak;
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
    const done = Math.min(1, (step - warm) / Math.max(1, total - warm));
    switch (o.decay) {
      case 'constant':
        return o.peak;
      case 'linear':
        return floor + (o.peak - floor) * (1 - done);
      case 'cosine':
        return floor + (o.peak - floor) * 0.5 * (1 + Math.cos(Math.PI * done));
      case 'inverse_sqrt':
        return (o.peak * Math.sqrt(Math.max(1, warm))) / Math.sqrt(step);
      default: {
        const never: never = o.decay;
        throw new TlcError('CONFIG_INVALID', `unknown decay "${String(never)}"`);
      }
    }
  };
}
