/**
 * A training run end to end: data and tokenizer, model, trainer, the step loop under a wall-clock and/or step
 * budget, periodic validation with a JSONL log row each time, checkpoints (latest and best on validation), and
 * resume. Stops cleanly on SIGINT after the current step, saving a checkpoint, so nothing is lost.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TlcError } from '../../errors/index.js';
import type { BuiltModel } from '../../models/encoder.js';
import { BEST_FILE, CHECKPOINT_FILE, LOG_FILE, RUN_FILE, SUMMARY_FILE } from '../../run-folder/files.js';
import { appendLog, type LogRow } from '../../run-folder/log.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import { taskForRun } from '../../tasks/index.js';
import type { TrainingSpec, TrainingTask } from '../../tasks/spec.js';
import { specialIdsOf } from '../../tokenizer/special-ids.js';
import { restoreCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { makeProgressSchedule } from '../schedule.js';
import { Trainer } from '../trainer.js';
import { runTokenizer } from './data.js';

export interface RunHooks {
  readonly log: (message: string) => void;
  readonly progress?: (state: { fraction: number; label: string; eta?: number }) => void;
  /** Checked after every step; true stops the run (after a checkpoint). */
  readonly shouldStop?: () => boolean;
}

export interface RunSummary {
  readonly steps: number;
  readonly seconds: number;
  readonly tokens: number;
  readonly validation: Readonly<Record<string, number>>;
  readonly bestValidationLoss: number;
  readonly parameters: { readonly total: number; readonly nonEmbedding: number };
  readonly stoppedBy: 'time-budget' | 'max-steps' | 'interrupt';
}

function countParameters(built: BuiltModel): { total: number; nonEmbedding: number } {
  let total = 0;
  let nonEmbedding = 0;
  for (const p of built.params) {
    const n = p.shape.reduce((a, d) => a * d, 1);
    total += n;
    if (p.role !== 'embedding') nonEmbedding += n;
  }
  return { total, nonEmbedding };
}

/** Counters of a run that survive a resume (saved in each checkpoint's `extra`). */
interface RunClock {
  /** Training seconds (evaluation excluded), across resumes. */
  seconds: number;
  /** Wall-clock seconds of earlier sessions of the run. */
  wallOffset: number;
  tokens: number;
  best: number;
}

/** Checks `--out` against `--resume` and writes run.json; returns the latest-checkpoint path. */
function openRunFolder(run: RunConfig, resume: boolean): string {
  mkdirSync(run.out, { recursive: true });
  const checkpoint = join(run.out, CHECKPOINT_FILE);
  if (resume && !existsSync(checkpoint))
    throw new TlcError('CHECKPOINT_FAILED', `${run.out}: nothing to resume (no ${CHECKPOINT_FILE})`);
  if (!resume && existsSync(checkpoint)) {
    throw new TlcError(
      'CONFIG_INVALID',
      `${run.out} already holds a run; pass --resume to continue it or choose another --out`,
    );
  }
  writeFileSync(join(run.out, RUN_FILE), `${JSON.stringify(run, null, 2)}\n`);
  return checkpoint;
}

/** The trainer with the run's schedule (its progress read from `clock`), AdamW settings and sessions. */
function createTrainer(
  run: RunConfig,
  task: TrainingTask,
  sessions: TrainingSpec['sessions'],
  clock: RunClock,
) {
  const schedule = makeProgressSchedule(
    {
      peak: run.lr,
      warmupSteps: run.warmupSteps,
      decay: run.schedule,
      ...(run.maxSteps !== undefined && { maxSteps: run.maxSteps }),
      ...(run.timeBudgetSeconds !== undefined && { budgetSeconds: run.timeBudgetSeconds }),
    },
    () => clock.seconds,
  );
  return Trainer.create(
    task.train,
    {
      seed: run.seed,
      schedule,
      adamw: { beta1: 0.9, beta2: 0.98, epsilon: 1e-6, weightDecay: run.weightDecay },
      clipNorm: run.clipNorm,
      threads: run.threads,
      device: run.device,
      fallbackToCpu: run.fallbackToCpu,
      ...sessions,
    },
    task.evaluate,
  );
}

/** The progress bar's state after a step: fraction of the budget, a label, and the time left. */
function progressOf(run: RunConfig, step: number, clock: RunClock, loss: number, lr: number) {
  const fraction = Math.max(
    run.maxSteps === undefined ? 0 : step / run.maxSteps,
    run.timeBudgetSeconds === undefined ? 0 : clock.seconds / run.timeBudgetSeconds,
  );
  const rate = Math.round(clock.tokens / Math.max(clock.seconds, 1e-9)).toLocaleString('en-US');
  return {
    fraction,
    label: `step ${step} loss ${loss.toFixed(3)} ${rate} tok/s lr ${lr.toExponential(2)}`,
    eta: fraction > 0 ? (clock.seconds / fraction) * (1 - fraction) : Number.NaN,
  };
}

export async function runTraining(run: RunConfig, hooks: RunHooks, resume = false): Promise<RunSummary> {
  const checkpoint = openRunFolder(run, resume);
  const tokenizer = await runTokenizer(run, hooks.log);
  const special = specialIdsOf(tokenizer);
  const spec = taskForRun(run.task).training;
  const task = await spec.prepare(run, tokenizer, special, hooks.log);
  const parameters = countParameters(task.train);
  hooks.log(
    `model: ${run.model.layers} layers × ${run.model.dModel}, ${(parameters.nonEmbedding / 1e6).toFixed(2)}M non-embedding parameters (${(parameters.total / 1e6).toFixed(2)}M in all), ${run.model.positions} positions, ${run.model.preLayerNorm ? 'pre' : 'post'}-LN, peak lr ${run.lr} after ${run.warmupSteps} warm-up steps`,
  );
  const clock: RunClock = { seconds: 0, wallOffset: 0, tokens: 0, best: Number.POSITIVE_INFINITY };
  const trainer = await createTrainer(run, task, spec.sessions, clock);
  hooks.log(`device: ${run.device}, ${run.threads} thread(s)`);
  if (resume) {
    const meta = restoreCheckpoint(trainer, checkpoint);
    const extra = (meta.extra ?? {}) as { seconds?: number; wall?: number; tokens?: number; best?: number };
    clock.seconds = extra.seconds ?? 0;
    clock.wallOffset = extra.wall ?? 0;
    clock.tokens = extra.tokens ?? 0;
    clock.best = extra.best ?? clock.best; // an unset best (Infinity) is saved as null
    hooks.log(`resumed at step ${trainer.step} (${clock.seconds.toFixed(0)} s of training)`);
  }
  const started = performance.now();
  const wall = () => clock.wallOffset + (performance.now() - started) / 1000;
  const logPath = join(run.out, LOG_FILE);
  let lossSum = 0;
  let lossSteps = 0;
  let lastLr = 0;
  let validation: Record<string, number> = {};
  const save = (path: string) =>
    saveCheckpoint(trainer, path, {
      config: run,
      extra: { seconds: clock.seconds, wall: wall(), tokens: clock.tokens, best: clock.best },
    });
  const evaluate = async () => {
    validation = await task.validate({
      evaluate: (b, outs) => trainer.evaluateOutputs(b, outs),
      weights: trainer.params,
    });
    const row: LogRow = {
      step: trainer.step,
      seconds: clock.seconds,
      wall_seconds: wall(),
      tokens: clock.tokens,
      train_loss: lossSteps === 0 ? Number.NaN : lossSum / lossSteps,
      lr: lastLr,
      validation: { ...validation, ...task.baseline },
    };
    appendLog(logPath, row);
    lossSum = 0;
    lossSteps = 0;
    const metrics = Object.entries(validation)
      .map(([k, v]) => `${k} ${v.toFixed(k === 'accuracy' ? 4 : 3)}`)
      .join(', ');
    hooks.log(`step ${trainer.step}: validation ${metrics}`);
    if (validation.loss! < clock.best) {
      clock.best = validation.loss!;
      save(join(run.out, BEST_FILE));
    }
    save(checkpoint);
  };

  let stoppedBy: RunSummary['stoppedBy'] = 'max-steps';
  const budgetDone = () => run.timeBudgetSeconds !== undefined && clock.seconds >= run.timeBudgetSeconds;
  const stepsDone = () => run.maxSteps !== undefined && trainer.step >= run.maxSteps;
  try {
    while (!budgetDone() && !stepsDone()) {
      const step = trainer.step + 1;
      const t0 = performance.now();
      const micro = Array.from({ length: run.accumulate }, (_, k) => task.batch(step, k));
      const r = await trainer.trainStep(micro);
      clock.seconds += (performance.now() - t0) / 1000;
      clock.tokens += r.tokens;
      lossSum += r.loss;
      lossSteps += 1;
      lastLr = r.lr;
      hooks.progress?.(progressOf(run, trainer.step, clock, r.loss, r.lr));
      if (hooks.shouldStop?.()) {
        stoppedBy = 'interrupt';
        break;
      }
      if (trainer.step % run.evalEvery === 0) await evaluate();
    }
    if (stoppedBy === 'interrupt') {
      save(checkpoint);
      hooks.log(`interrupted: checkpoint saved at step ${trainer.step}; continue with --resume`);
    } else {
      stoppedBy = budgetDone() ? 'time-budget' : 'max-steps';
      if (lossSteps > 0 || Object.keys(validation).length === 0) await evaluate();
    }
  } finally {
    await trainer.dispose();
  }
  const summary: RunSummary = {
    steps: trainer.step,
    seconds: clock.seconds,
    tokens: clock.tokens,
    validation,
    bestValidationLoss: clock.best,
    parameters,
    stoppedBy,
  };
  writeFileSync(
    join(run.out, SUMMARY_FILE),
    `${JSON.stringify({ ...summary, baseline: task.baseline }, null, 2)}\n`,
  );
  return summary;
}
