/**
 * A training run end to end: data and tokenizer, model, trainer, the step loop under a wall-clock and/or step
 * budget, periodic validation with a JSONL log row each time, checkpoints (latest and best on validation), and
 * resume. Stops cleanly when `shouldStop` says so (the CLI's SIGINT and SIGTERM) after the current step, saving a
 * checkpoint, so nothing is lost. The run folder is locked while the run writes it (run-folder/lock.ts), and the
 * temporary files of runs killed mid-write are removed when it opens.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TlcError } from '../../errors/index.js';
import type { BuiltModel } from '../../models/encoder.js';
import { BEST_FILE, CHECKPOINT_FILE, LOG_FILE, RUN_FILE, SUMMARY_FILE } from '../../run-folder/files.js';
import { lockRunFolder } from '../../run-folder/lock.js';
import { appendLog, type LogRow, readLog, truncateLog } from '../../run-folder/log.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import { removeStaleTemporaries } from '../../run-folder/temporaries.js';
import { taskForRun } from '../../tasks/index.js';
import type { TrainingSpec, TrainingTask } from '../../tasks/spec.js';
import { specialIdsOf } from '../../tokenizer/special-ids.js';
import { restoreCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { makeProgressSchedule } from '../schedule.js';
import { Trainer } from '../trainer.js';
import { runTokenizer } from './data.js';
import { copyInitWeights } from './init.js';

export interface RunHooks {
  readonly log: (message: string) => void;
  readonly progress?: (state: { fraction: number; label: string; eta?: number }) => void;
  /** Checked before every step; true stops the run (after a checkpoint). */
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

/**
 * Checks `--out` (locked by the caller) against `--resume`, removes killed runs' temporary files and writes
 * run.json; returns the latest-checkpoint path.
 */
function openRunFolder(run: RunConfig, resume: boolean, log: (message: string) => void): string {
  const checkpoint = join(run.out, CHECKPOINT_FILE);
  if (resume && !existsSync(checkpoint))
    throw new TlcError('CHECKPOINT_FAILED', `${run.out}: nothing to resume (no ${CHECKPOINT_FILE})`);
  if (!resume && existsSync(checkpoint)) {
    throw new TlcError(
      'CONFIG_INVALID',
      `${run.out} already holds a run; pass --resume to continue it or choose another --out`,
    );
  }
  const stale = removeStaleTemporaries(run.out);
  if (stale.files.length > 0) {
    log(
      `removed ${stale.files.length} temporary file(s) of killed runs (${(stale.bytes / 1e6).toFixed(1)} MB): ${stale.files.join(', ')}`,
    );
  }
  writeFileSync(join(run.out, RUN_FILE), `${JSON.stringify(run, null, 2)}\n`);
  return checkpoint;
}

/**
 * The validation the log already holds for `step` (without the baselines its row adds), or none: a resume that
 * trains no further step reports it instead of evaluating again, which would log the step twice.
 */
function loggedValidation(run: RunConfig, step: number, baseline: TrainingTask['baseline']) {
  const row = readLog(join(run.out, LOG_FILE)).findLast((r) => r.step === step);
  if (row === undefined) return {};
  return Object.fromEntries(Object.entries(row.validation).filter(([k]) => !(k in baseline)));
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

/** The counters a checkpoint saved (in its `extra`), back into `clock`. */
function restoreClock(saved: unknown, clock: RunClock): void {
  const extra = (saved ?? {}) as { seconds?: number; wall?: number; tokens?: number; best?: number };
  clock.seconds = extra.seconds ?? 0;
  clock.wallOffset = extra.wall ?? 0;
  clock.tokens = extra.tokens ?? 0;
  clock.best = extra.best ?? clock.best; // an unset best (Infinity) is saved as null
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

/** The training loss and learning rate since the last log row. */
interface SinceLastRow {
  lossSum: number;
  lossSteps: number;
  lastLr: number;
}

/** Runs the task's validation, appends the log row (with the baselines) and resets `since`; returns the metrics. */
async function validateAndLog(o: {
  run: RunConfig;
  task: TrainingTask;
  trainer: Trainer;
  clock: RunClock;
  since: SinceLastRow;
  wall: () => number;
  log: (message: string) => void;
}): Promise<Record<string, number>> {
  const { trainer, since } = o;
  const validation = await o.task.validate({
    evaluate: (b, outs) => trainer.evaluateOutputs(b, outs),
    weights: trainer.params,
  });
  const row: LogRow = {
    step: trainer.step,
    seconds: o.clock.seconds,
    wall_seconds: o.wall(),
    tokens: o.clock.tokens,
    train_loss: since.lossSteps === 0 ? Number.NaN : since.lossSum / since.lossSteps,
    lr: since.lastLr,
    validation: { ...validation, ...o.task.baseline },
  };
  appendLog(join(o.run.out, LOG_FILE), row);
  since.lossSum = 0;
  since.lossSteps = 0;
  const metrics = Object.entries(validation)
    .map(([k, v]) => `${k} ${v.toFixed(k === 'accuracy' ? 4 : 3)}`)
    .join(', ');
  o.log(`step ${trainer.step}: validation ${metrics}`);
  return validation;
}

/** summary.json: the run's outcome with the task's baselines. */
function writeSummary(run: RunConfig, summary: RunSummary, baseline: TrainingTask['baseline']): RunSummary {
  writeFileSync(join(run.out, SUMMARY_FILE), `${JSON.stringify({ ...summary, baseline }, null, 2)}\n`);
  return summary;
}

/** On `--resume`: the checkpoint's state and counters, and the log cut back to its step. */
function resumeFrom(
  checkpoint: string,
  o: { run: RunConfig; trainer: Trainer; clock: RunClock; log: (message: string) => void },
): void {
  restoreClock(restoreCheckpoint(o.trainer, checkpoint).extra, o.clock);
  const dropped = truncateLog(join(o.run.out, LOG_FILE), o.trainer.step);
  o.log(
    `resumed at step ${o.trainer.step} (${o.clock.seconds.toFixed(0)} s of training)${dropped > 0 ? `; ${dropped} log row(s) past the checkpoint dropped` : ''}`,
  );
}

/** One optimizer step over the run's micro-batches; advances the clock and the loss since the last row. */
async function trainOneStep(o: {
  run: RunConfig;
  task: TrainingTask;
  trainer: Trainer;
  clock: RunClock;
  since: SinceLastRow;
  hooks: RunHooks;
}): Promise<void> {
  const { run, trainer, clock, since } = o;
  const step = trainer.step + 1;
  const t0 = performance.now();
  const micro = Array.from({ length: run.accumulate }, (_, k) => o.task.batch(step, k));
  const r = await trainer.trainStep(micro);
  clock.seconds += (performance.now() - t0) / 1000;
  clock.tokens += r.tokens;
  since.lossSum += r.loss;
  since.lossSteps += 1;
  since.lastLr = r.lr;
  o.hooks.progress?.(progressOf(run, trainer.step, clock, r.loss, r.lr));
}

/** Trains `run` (a new run, or `resume` of the one in `run.out`) with the run folder locked. */
export async function runTraining(run: RunConfig, hooks: RunHooks, resume = false): Promise<RunSummary> {
  mkdirSync(run.out, { recursive: true });
  const lock = lockRunFolder(run.out);
  try {
    return await trainLocked(run, hooks, resume);
  } finally {
    lock.release();
  }
}

/** A new run's weights from `--init`: the parameters it shares with the initial run, by name. */
function initialiseFrom(run: RunConfig, trainer: Trainer, log: (message: string) => void): void {
  if (run.init === undefined) return;
  const shapes = new Map([...trainer.graph.initial].map(([name, t]) => [name, t.dims.map(Number)] as const));
  const c = copyInitWeights(run.init, trainer.params, shapes);
  log(
    `init: ${c.copied.length} parameters from ${run.init} (step ${c.step}); ${c.fresh.length} new (${c.fresh.join(', ') || 'none'}); ${c.unused.length} of its not used`,
  );
}

async function trainLocked(given: RunConfig, hooks: RunHooks, resume: boolean): Promise<RunSummary> {
  const spec = taskForRun(given.task).training;
  // A new run's settings from its data or initial model (a resumed run.json has them already).
  const run = !resume && spec.resolve !== undefined ? await spec.resolve(given) : given;
  const checkpoint = openRunFolder(run, resume, hooks.log);
  const tokenizer = await runTokenizer(run, hooks.log);
  const special = specialIdsOf(tokenizer);
  const task = await spec.prepare(run, tokenizer, special, hooks.log);
  const parameters = countParameters(task.train);
  hooks.log(
    `model: ${run.model.layers} layers × ${run.model.dModel}, ${(parameters.nonEmbedding / 1e6).toFixed(2)}M non-embedding parameters (${(parameters.total / 1e6).toFixed(2)}M in all), ${run.model.positions} positions, ${run.model.preLayerNorm ? 'pre' : 'post'}-LN, peak lr ${run.lr} after ${run.warmupSteps} warm-up steps`,
  );
  const clock: RunClock = { seconds: 0, wallOffset: 0, tokens: 0, best: Number.POSITIVE_INFINITY };
  const trainer = await createTrainer(run, task, spec.sessions, clock);
  hooks.log(`device: ${run.device}, ${run.threads} thread(s)`);
  if (resume) resumeFrom(checkpoint, { run, trainer, clock, log: hooks.log });
  else initialiseFrom(run, trainer, hooks.log);
  const started = performance.now();
  const wall = () => clock.wallOffset + (performance.now() - started) / 1000;
  const save = (path: string) =>
    saveCheckpoint(trainer, path, {
      config: run,
      extra: { seconds: clock.seconds, wall: wall(), tokens: clock.tokens, best: clock.best },
    });
  const since: SinceLastRow = { lossSum: 0, lossSteps: 0, lastLr: 0 };
  let validation: Record<string, number> = resume ? loggedValidation(run, trainer.step, task.baseline) : {};
  const evaluate = async () => {
    validation = await validateAndLog({ run, task, trainer, clock, since, wall, log: hooks.log });
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
      if (hooks.shouldStop?.()) {
        stoppedBy = 'interrupt';
        break;
      }
      await trainOneStep({ run, task, trainer, clock, since, hooks });
      // A stop asked for during the step is served at once, without waiting for an evaluation.
      if (trainer.step % run.evalEvery === 0 && !hooks.shouldStop?.()) await evaluate();
    }
    if (stoppedBy === 'interrupt') {
      save(checkpoint);
      hooks.log(`interrupted: checkpoint saved at step ${trainer.step}; continue with --resume`);
    } else {
      stoppedBy = budgetDone() ? 'time-budget' : 'max-steps';
      if (since.lossSteps > 0 || Object.keys(validation).length === 0) await evaluate();
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
  return writeSummary(run, summary, task.baseline);
}
