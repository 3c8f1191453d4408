/**
 * A training run end to end: data and tokenizer, model, trainer, the step loop under a wall-clock and/or step
 * budget, periodic validation with a JSONL log row each time, checkpoints (latest and best on validation), and
 * resume. Stops cleanly on SIGINT after the current step, saving a checkpoint, so nothing is lost.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TlcError } from '../../errors/index.js';
import { makeConfig, type TransformerConfig } from '../../models/config.js';
import { type BuiltModel, buildMlmEncoder } from '../../models/encoder.js';
import { buildSeq2Seq } from '../../models/seq2seq.js';
import { BEST_FILE, CHECKPOINT_FILE, LOG_FILE, RUN_FILE, SUMMARY_FILE } from '../../run-folder/files.js';
import { appendLog, type LogRow } from '../../run-folder/log.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import { MlmBatcher, makeBlocks, mlmEvalBatches } from '../../tasks/fill-mask/batches.js';
import type { Batch } from '../../tasks/spec.js';
import { TranslationBatcher, translationEvalBatches } from '../../tasks/translation/batches.js';
import type { BpeModel } from '../../tokenizer/model.js';
import type { SpecialIds } from '../../tokenizer/special-ids.js';
import { specialIdsOf } from '../../tokenizer/special-ids.js';
import { Rng } from '../../util/rng.js';
import { restoreCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { makeProgressSchedule } from '../schedule.js';
import { Trainer } from '../trainer.js';
import { encodeDocuments, encodePairs, mlmDocuments, runTokenizer, translationPairs } from './data.js';
import { evaluateMlm, evaluateTranslationLoss, evaluateTranslationQuality } from './evaluate.js';
import { mlmBaselines } from './mlm-baselines.js';

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

interface Task {
  readonly train: BuiltModel;
  readonly evaluate: BuiltModel;
  readonly batch: (step: number, micro: number) => Batch;
  /** Validation metrics; `final` adds the slower ones (none for MLM). */
  readonly validate: (trainer: Trainer) => Promise<Record<string, number>>;
  readonly baseline: Readonly<Record<string, number>>;
}

export function modelConfig(run: RunConfig, vocabSize: number): TransformerConfig {
  return makeConfig({ ...run.model, vocabSize });
}

async function mlmTask(
  run: RunConfig,
  tokenizer: BpeModel,
  special: SpecialIds,
  log: (m: string) => void,
): Promise<Task> {
  const t0 = performance.now();
  const train = encodeDocuments(tokenizer, await mlmDocuments(run, 'train'));
  const validation = encodeDocuments(tokenizer, await mlmDocuments(run, 'validation'));
  const tokens = train.reduce((s, d) => s + d.length, 0);
  if (validation.length === 0) {
    throw new TlcError(
      'DATA_INVALID',
      `the validation split is empty (${train.length} documents in all); give more documents (separate them with --- lines)`,
    );
  }
  log(
    `data: ${train.length} training documents (${tokens.toLocaleString('en-US')} tokens), ${validation.length} validation documents, tokenized in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const length = run.model.maxLength;
  const options = {
    sequenceLength: length,
    batchSize: Math.max(1, Math.floor(run.batchTokens / length)),
    special,
    seed: run.seed,
  };
  const batcher = new MlmBatcher(
    makeBlocks(train, length, special, { shortProbability: 0.1, seed: run.seed }),
    options,
  );
  const evalBlocks = makeBlocks(validation, length, special).slice(
    0,
    Math.max(1, Math.floor(run.evalTokens / length)),
  );
  const evalBatches = mlmEvalBatches(evalBlocks, options);
  const config = modelConfig(run, tokenizer.tokens.length);
  return {
    train: buildMlmEncoder(config, { rng: Rng.seeded(run.seed), head: 'loss', dropout: true }),
    evaluate: buildMlmEncoder(config, { rng: Rng.seeded(run.seed), head: 'loss', dropout: false }),
    batch: (step, micro) => batcher.batch(step, micro, run.accumulate),
    validate: async (trainer) => {
      const m = await evaluateMlm((b, outs) => trainer.evaluateOutputs(b, outs), evalBatches);
      return { loss: m.loss, perplexity: m.perplexity, accuracy: m.accuracy };
    },
    baseline: { ...mlmBaselines(train, validation, evalBatches, special, length) },
  };
}

async function translationTask(
  run: RunConfig,
  tokenizer: BpeModel,
  special: SpecialIds,
  log: (m: string) => void,
): Promise<Task> {
  const rawTrain = await translationPairs(run, 'train');
  const rawValidation = await translationPairs(run, 'validation');
  const train = encodePairs(tokenizer, rawTrain);
  const validation = encodePairs(tokenizer, rawValidation);
  if (validation.length === 0)
    throw new TlcError(
      'DATA_INVALID',
      `the validation split is empty (${train.length} pairs in all); give more pairs`,
    );
  log(`data: ${train.length} training pairs, ${validation.length} validation pairs`);
  const options = { batchTokens: run.batchTokens, maxLength: run.model.maxLength, special, seed: run.seed };
  const batcher = new TranslationBatcher(train, options);
  const lossBatches = translationEvalBatches(validation, options);
  const sample = rawValidation.slice(0, run.evalSentences);
  const sources = validation
    .slice(0, run.evalSentences)
    .map((p) => Int32Array.from([...p.source.subarray(0, run.model.maxLength - 1), special.eos]));
  const config = modelConfig(run, tokenizer.tokens.length);
  return {
    train: buildSeq2Seq(config, {
      rng: Rng.seeded(run.seed),
      head: 'loss',
      dropout: true,
      labelSmoothing: run.labelSmoothing,
    }),
    evaluate: buildSeq2Seq(config, {
      rng: Rng.seeded(run.seed),
      head: 'loss',
      dropout: false,
      labelSmoothing: 0,
    }),
    batch: (step, micro) => batcher.batch(step, micro, run.accumulate),
    validate: async (trainer) => {
      const loss = await evaluateTranslationLoss((b, outs) => trainer.evaluateOutputs(b, outs), lossBatches);
      const quality = await evaluateTranslationQuality(sample, sources, {
        config,
        weights: trainer.params,
        tokenizer,
        special,
        threads: run.threads,
      });
      return { loss: loss.loss, perplexity: loss.perplexity, bleu: quality.bleu, chrf: quality.chrf };
    },
    baseline: {},
  };
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

export async function runTraining(run: RunConfig, hooks: RunHooks, resume = false): Promise<RunSummary> {
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
  const tokenizer = await runTokenizer(run, hooks.log);
  const special = specialIdsOf(tokenizer);
  const task =
    run.task === 'mlm'
      ? await mlmTask(run, tokenizer, special, hooks.log)
      : await translationTask(run, tokenizer, special, hooks.log);
  const parameters = countParameters(task.train);
  hooks.log(
    `model: ${run.model.layers} layers × ${run.model.dModel}, ${(parameters.nonEmbedding / 1e6).toFixed(2)}M non-embedding parameters (${(parameters.total / 1e6).toFixed(2)}M in all), ${run.model.positions} positions, ${run.model.preLayerNorm ? 'pre' : 'post'}-LN, peak lr ${run.lr} after ${run.warmupSteps} warm-up steps`,
  );

  let seconds = 0;
  let wallOffset = 0;
  let tokensSeen = 0;
  let best = Number.POSITIVE_INFINITY;
  const schedule = makeProgressSchedule(
    {
      peak: run.lr,
      warmupSteps: run.warmupSteps,
      decay: run.schedule,
      ...(run.maxSteps !== undefined && { maxSteps: run.maxSteps }),
      ...(run.timeBudgetSeconds !== undefined && { budgetSeconds: run.timeBudgetSeconds }),
    },
    () => seconds,
  );
  const trainer = await Trainer.create(
    task.train,
    {
      seed: run.seed,
      schedule,
      adamw: { beta1: 0.9, beta2: 0.98, epsilon: 1e-6, weightDecay: run.weightDecay },
      clipNorm: run.clipNorm,
      threads: run.threads,
      device: run.device,
      fallbackToCpu: run.fallbackToCpu,
      maxSessions: run.task === 'translation' ? 32 : 8,
      // Translation keeps a session per length bucket, and each CPU arena holds its peak for good: a 5 + 5 × 256
      // model reached 21.8 GB in 90 s with arenas and 2.8 GB without (and trained faster, 1,440 vs 1,213 tok/s).
      // MLM has two shapes and trains 22% faster with its arenas.
      memoryArena: run.task !== 'translation',
    },
    task.evaluate,
  );
  hooks.log(`device: ${run.device}, ${run.threads} thread(s)`);
  if (resume) {
    const meta = restoreCheckpoint(trainer, checkpoint);
    const extra = (meta.extra ?? {}) as { seconds?: number; wall?: number; tokens?: number; best?: number };
    seconds = extra.seconds ?? 0;
    wallOffset = extra.wall ?? 0;
    tokensSeen = extra.tokens ?? 0;
    best = extra.best ?? best;
    hooks.log(`resumed at step ${trainer.step} (${seconds.toFixed(0)} s of training)`);
  }
  const started = performance.now();
  const wall = () => wallOffset + (performance.now() - started) / 1000;
  const logPath = join(run.out, LOG_FILE);
  let lossSum = 0;
  let lossSteps = 0;
  let lastLr = 0;
  let validation: Record<string, number> = {};
  const save = (path: string) =>
    saveCheckpoint(trainer, path, {
      config: run,
      extra: { seconds, wall: wall(), tokens: tokensSeen, best },
    });
  const evaluate = async () => {
    validation = await task.validate(trainer);
    const row: LogRow = {
      step: trainer.step,
      seconds,
      wall_seconds: wall(),
      tokens: tokensSeen,
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
    if (validation.loss! < best) {
      best = validation.loss!;
      save(join(run.out, BEST_FILE));
    }
    save(checkpoint);
  };

  let stoppedBy: RunSummary['stoppedBy'] = 'max-steps';
  const budgetDone = () => run.timeBudgetSeconds !== undefined && seconds >= run.timeBudgetSeconds;
  const stepsDone = () => run.maxSteps !== undefined && trainer.step >= run.maxSteps;
  try {
    while (!budgetDone() && !stepsDone()) {
      const step = trainer.step + 1;
      const t0 = performance.now();
      const micro = Array.from({ length: run.accumulate }, (_, k) => task.batch(step, k));
      const r = await trainer.trainStep(micro);
      seconds += (performance.now() - t0) / 1000;
      tokensSeen += r.tokens;
      lossSum += r.loss;
      lossSteps += 1;
      lastLr = r.lr;
      const fraction = Math.max(
        run.maxSteps === undefined ? 0 : trainer.step / run.maxSteps,
        run.timeBudgetSeconds === undefined ? 0 : seconds / run.timeBudgetSeconds,
      );
      hooks.progress?.({
        fraction,
        label: `step ${trainer.step} loss ${r.loss.toFixed(3)} ${Math.round(tokensSeen / Math.max(seconds, 1e-9)).toLocaleString('en-US')} tok/s lr ${r.lr.toExponential(2)}`,
        eta: fraction > 0 ? (seconds / fraction) * (1 - fraction) : Number.NaN,
      });
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
    seconds,
    tokens: tokensSeen,
    validation,
    bestValidationLoss: best,
    parameters,
    stoppedBy,
  };
  writeFileSync(
    join(run.out, SUMMARY_FILE),
    `${JSON.stringify({ ...summary, baseline: task.baseline }, null, 2)}\n`,
  );
  return summary;
}
