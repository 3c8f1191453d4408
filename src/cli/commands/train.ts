/**
 * `tlc train`: train an MLM encoder or a translation encoder-decoder, or fine-tune a classifier from an MLM run
 * (`--init`), under a wall-clock and/or step budget.
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { TlcError } from '../../errors/index.js';
import { POSITION_SCHEMES } from '../../models/config.js';
import { findPreset, PRESETS } from '../../models/presets.js';
import type { DecayKind } from '../../run-folder/run-config.js';
import {
  RUN_DEFAULTS,
  type RunConfig,
  readRunConfig,
  type Task,
  validateRunConfig,
} from '../../run-folder/run-config.js';
import { RUN_TASKS, taskForRun } from '../../tasks/index.js';
import { initSettings } from '../../train/run/init.js';
import { runTraining } from '../../train/run/loop.js';
import { defaultRecipe } from '../../train/run/recipe.js';
import { action } from '../errors.js';
import { choiceFlag, deviceFlag, durationFlag, numberFlag } from '../flags.js';
import { onStopSignals, type StopSignal } from '../malloc-tuning.js';
import { ProgressBar } from '../progress.js';

interface TrainFlags {
  task: string;
  preset?: string;
  layers?: string;
  width?: string;
  heads?: string;
  ffn?: string;
  maxLength: string;
  dropout?: string;
  attentionDropout?: string;
  preLn?: boolean;
  postLn?: boolean;
  positions?: string;
  activation: string;
  corpus?: string;
  data?: string[];
  vocabSize: string;
  tokenizer?: string;
  init?: string;
  timeBudget?: string;
  maxSteps?: string;
  batchTokens: string;
  accumulate: string;
  lr?: string;
  warmup?: string;
  schedule: string;
  weightDecay: string;
  clipNorm: string;
  labelSmoothing?: string;
  evalEvery: string;
  evalTokens: string;
  evalSentences: string;
  seed: string;
  device: string;
  fallbackCpu?: boolean;
  threads: string;
  out: string;
  resume?: boolean;
}

const num = (text: string | undefined, flag: string, integer = false): number =>
  numberFlag(text, flag, { integer });

/** Flags that set a model's size or vocabulary, which `--init` takes from the initial run instead. */
const SIZE_FLAGS = [
  'preset',
  'layers',
  'width',
  'heads',
  'ffn',
  'preLn',
  'postLn',
  'positions',
  'tokenizer',
] as const;

/**
 * `--data NAME` where NAME is a built-in set of the task and no file of that name exists: the set (so that
 * `--data spam-assassin` reads as `--corpus spam-assassin`).
 */
function dataOrCorpus(f: TrainFlags, corpora: readonly string[]): { corpus?: string; data: string[] } {
  const data = f.data ?? [];
  if (data.length === 1 && corpora.includes(data[0]!) && !existsSync(data[0]!))
    return { corpus: data[0]!, data: [] };
  return { ...(f.corpus !== undefined && { corpus: f.corpus }), data };
}

/** A run started from `--init`: the initial run's model, tokenizer and vocabulary, this task's dropout. */
function fromInit(f: TrainFlags, task: Task): RunConfig {
  const given = SIZE_FLAGS.filter((k) => f[k] !== undefined);
  if (given.length > 0)
    throw new TlcError(
      'CLI_USAGE',
      `--init takes the model's size and tokenizer from the initial run; drop ${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`,
    );
  const init = initSettings(f.init!);
  const base = configFromFlags(
    { ...f, width: String(init.model.dModel), heads: String(init.model.heads) },
    task,
  );
  const recipe = defaultRecipe(task, init.model);
  const dropout = f.dropout === undefined ? recipe.dropout : num(f.dropout, '--dropout');
  return {
    ...base,
    model: {
      ...init.model,
      dropout,
      attentionDropout:
        f.attentionDropout === undefined ? dropout : num(f.attentionDropout, '--attention-dropout'),
    },
    vocabSize: init.vocabSize,
    init: f.init!,
  };
}

export function runConfigFromFlags(f: TrainFlags): RunConfig {
  const task = choiceFlag<Task>(f.task, RUN_TASKS, '--task');
  const training = taskForRun(task).training;
  if (f.init !== undefined) return validateRunConfig(fromInit(f, task), training);
  if (training.fineTunes)
    throw new TlcError(
      'CONFIG_INVALID',
      `--task ${task} fine-tunes a pretrained encoder: give --init mlm-small (or mlm-large, or an MLM run folder)`,
    );
  return validateRunConfig(configFromFlags(f, task), training);
}

/** The settings the flags give (sizes from --preset / --width, defaults from the recipe), not yet validated. */
function configFromFlags(f: TrainFlags, task: Task): RunConfig {
  const training = taskForRun(task).training;
  const data = dataOrCorpus(f, training.corpora);
  const preset =
    f.preset === undefined && f.width === undefined
      ? findPreset('small')
      : f.preset === undefined
        ? undefined
        : findPreset(f.preset);
  const dModel = f.width !== undefined ? num(f.width, '--width', true) : preset!.dModel;
  const heads =
    f.heads !== undefined
      ? num(f.heads, '--heads', true)
      : (preset?.heads ?? Math.max(1, Math.round(dModel / 64)));
  const layers = f.layers !== undefined ? num(f.layers, '--layers', true) : (preset?.layers ?? 4);
  if (f.preLn && f.postLn) throw new TlcError('CLI_USAGE', 'give --pre-ln or --post-ln, not both');
  const recipe = defaultRecipe(task, { layers, dModel });
  const dropout = f.dropout === undefined ? recipe.dropout : num(f.dropout, '--dropout');
  return {
    task,
    corpus: data.corpus ?? training.corpora[0]!,
    dataFiles: data.data,
    model: {
      ...(preset !== undefined && { preset: preset.name }),
      dModel,
      layers,
      heads,
      ffn: f.ffn !== undefined ? num(f.ffn, '--ffn', true) : (preset?.ffn ?? 4 * dModel),
      maxLength: num(f.maxLength, '--max-length', true),
      dropout,
      attentionDropout:
        f.attentionDropout === undefined ? dropout : num(f.attentionDropout, '--attention-dropout'),
      preLayerNorm: f.preLn ? true : f.postLn ? false : recipe.preLayerNorm,
      positions:
        f.positions === undefined
          ? recipe.positions
          : choiceFlag(f.positions, POSITION_SCHEMES, '--positions'),
      activation: choiceFlag(f.activation, ['gelu', 'gelu_tanh', 'relu'], '--activation'),
    },
    vocabSize: num(f.vocabSize, '--vocab-size', true),
    ...(f.tokenizer !== undefined && { tokenizer: f.tokenizer }),
    ...(f.timeBudget !== undefined && { timeBudgetSeconds: durationFlag(f.timeBudget, '--time-budget') }),
    ...(f.maxSteps !== undefined && { maxSteps: num(f.maxSteps, '--max-steps', true) }),
    batchTokens: num(f.batchTokens, '--batch-tokens', true),
    accumulate: num(f.accumulate, '--accumulate', true),
    lr: f.lr === undefined ? recipe.lr : num(f.lr, '--lr'),
    warmupSteps: f.warmup === undefined ? recipe.warmupSteps : num(f.warmup, '--warmup', true),
    schedule: choiceFlag<DecayKind>(
      f.schedule,
      ['linear', 'cosine', 'inverse_sqrt', 'constant'],
      '--schedule',
    ),
    weightDecay: num(f.weightDecay, '--weight-decay'),
    clipNorm: num(f.clipNorm, '--clip-norm'),
    labelSmoothing:
      f.labelSmoothing === undefined ? recipe.labelSmoothing : num(f.labelSmoothing, '--label-smoothing'),
    evalEvery: num(f.evalEvery, '--eval-every', true),
    evalTokens: num(f.evalTokens, '--eval-tokens', true),
    evalSentences: num(f.evalSentences, '--eval-sentences', true),
    seed: num(f.seed, '--seed', true),
    device: deviceFlag(f.device),
    fallbackToCpu: f.fallbackCpu ?? false,
    threads: num(f.threads, '--threads', true),
    out: f.out,
  };
}

/** Built-in corpora per task, from the task table. */
const CORPUS_HELP = RUN_TASKS.map((t) => `${t}: ${taskForRun(t).training.corpora.join(' | ')}`).join('; ');

/** What is trained on what: task, size, positions, data. */
function addModelOptions(command: Command): Command {
  return command
    .option('--task <task>', RUN_TASKS.join(' | '), RUN_TASKS[0])
    .option('--preset <name>', `size preset: ${PRESETS.map((p) => p.name).join(', ')} (default small)`)
    .option('--layers <n>', 'depth (overrides the preset)')
    .option('--width <n>', 'hidden size (overrides the preset)')
    .option('--heads <n>', 'attention heads')
    .option('--ffn <n>', 'feed-forward inner size (default 4 × width)')
    .option('--max-length <n>', "tokens per sequence (with --init: the initial run's)", '128')
    .option('--dropout <p>', 'dropout probability (default: the recipe, mlm 0.1, translation 0.3)')
    .option('--attention-dropout <p>', 'dropout on attention probabilities (default: --dropout)')
    .option('--pre-ln', 'pre-LayerNorm blocks (default: the recipe, pre-LN above 6 layers)')
    .option('--post-ln', 'post-LayerNorm blocks, as BERT / RoBERTa (default: the recipe, up to 6 layers)')
    .option(
      '--positions <scheme>',
      'alibi (a per-head distance bias in attention, no table) | learned (a position table, as BERT); default: the recipe (mlm alibi, translation learned)',
    )
    .option('--activation <name>', 'gelu | gelu_tanh | relu', 'gelu')
    .option('--corpus <name>', CORPUS_HELP)
    .option(
      '--data <files...>',
      'your own data: text files (mlm), one TSV of source<TAB>target (translation), one TSV / JSONL of text and label (classify); or a built-in set by name',
    );
}

/** How long, how fast, with what optimizer, where, and where to write. */
function addRunOptions(command: Command): Command {
  return command
    .option(
      '--vocab-size <n>',
      'BPE vocabulary size when training a tokenizer',
      String(RUN_DEFAULTS.vocabSize),
    )
    .option('--tokenizer <tokenizer.json>', 'use this tokenizer instead of training one')
    .option(
      '--init <run>',
      'start from this run folder, checkpoint or built-in model (mlm-small, mlm-large): its size, tokenizer and weights (required by classify)',
    )
    .option(
      '--time-budget <duration>',
      'stop after this much training time, e.g. 15m (evaluation not counted)',
    )
    .option('--max-steps <n>', 'stop after this many optimizer steps')
    .option('--batch-tokens <n>', 'tokens per batch', String(RUN_DEFAULTS.batchTokens))
    .option('--accumulate <n>', 'micro-batches per optimizer step', String(RUN_DEFAULTS.accumulate))
    .option('--lr <rate>', 'peak learning rate (default: the recipe, scaled by √(128 / width))')
    .option('--warmup <steps>', 'linear warm-up steps (default: the recipe)')
    .option(
      '--schedule <kind>',
      'decay after warm-up: linear | cosine | inverse_sqrt | constant (over the budget)',
      RUN_DEFAULTS.schedule,
    )
    .option(
      '--weight-decay <w>',
      'AdamW decoupled weight decay (not on biases, norms, embeddings)',
      String(RUN_DEFAULTS.weightDecay),
    )
    .option('--clip-norm <n>', 'global gradient-norm clipping (0: off)', String(RUN_DEFAULTS.clipNorm))
    .option('--label-smoothing <e>', 'translation label smoothing (default: the recipe, 0.1)')
    .option('--eval-every <steps>', 'validate every N steps (and at the end)', String(RUN_DEFAULTS.evalEvery))
    .option('--eval-tokens <n>', 'validation tokens per MLM evaluation', String(RUN_DEFAULTS.evalTokens))
    .option(
      '--eval-sentences <n>',
      'validation sentences translated for BLEU / chrF',
      String(RUN_DEFAULTS.evalSentences),
    )
    .option(
      '--seed <n>',
      'random seed (data order, masking, dropout, initialisation)',
      String(RUN_DEFAULTS.seed),
    )
    .option('--device <device>', 'cpu | cuda | webgpu | auto', 'cpu')
    .option('--fallback-cpu', 'fall back to CPU when the requested device is unavailable')
    .option('--threads <n>', 'ONNX Runtime intra-op threads', String(RUN_DEFAULTS.threads))
    .requiredOption('--out <dir>', 'run folder: tokenizer, checkpoints, log.jsonl, summary.json')
    .option(
      '--resume',
      'continue the run in --out from its last checkpoint (its saved settings apply; a new --time-budget or --max-steps extends it)',
    );
}

/** The settings of `--resume`: the run's saved ones, with a new budget if one is given. */
function resumedConfig(flags: TrainFlags): RunConfig {
  const saved = readRunConfig(flags.out);
  return validateRunConfig(
    {
      ...saved,
      ...(flags.timeBudget !== undefined && {
        timeBudgetSeconds: durationFlag(flags.timeBudget, '--time-budget'),
      }),
      ...(flags.maxSteps !== undefined && { maxSteps: num(flags.maxSteps, '--max-steps', true) }),
    },
    taskForRun(saved.task).training,
  );
}

/** The status of a process ended by `signal` (130 for SIGINT, 143 for SIGTERM), as shells report it. */
const signalStatus = (signal: StopSignal): number => 128 + constants.signals[signal];

/**
 * `tlc train`: a new run from the flags, or `--resume` of the run in --out. SIGINT (Ctrl-C) or SIGTERM stops it
 * after the current step with a checkpoint saved; a second one quits at once without saving.
 */
async function train(flags: TrainFlags): Promise<void> {
  const config = flags.resume ? resumedConfig(flags) : runConfigFromFlags(flags);
  const bar = new ProgressBar();
  let stop: StopSignal | undefined;
  const stopListening = onStopSignals((signal, count) => {
    if (count > 1) process.exit(signalStatus(stop ?? signal));
    stop = signal;
    const again = signal === 'SIGINT' ? 'Ctrl-C again' : `${signal} again`;
    bar.log(`${signal}: stopping after this step and saving a checkpoint (${again} to quit without saving)…`);
  });
  try {
    const summary = await runTraining(
      config,
      { log: (m) => bar.log(m), progress: (s) => bar.update(s), shouldStop: () => stop !== undefined },
      flags.resume ?? false,
    );
    bar.done();
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    // Stopped runs saved their checkpoint; the status still says which signal stopped them, as shells expect
    // (a stop that came as the last step ended the run is no stop: the run finished).
    if (stop !== undefined && summary.stoppedBy === 'interrupt') process.exitCode = signalStatus(stop);
  } finally {
    stopListening();
  }
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description(
      'train a Transformer (MLM encoder, translation encoder-decoder, or a classifier fine-tuned from an MLM run) for a wall-clock and/or step budget',
    );
  addRunOptions(addModelOptions(command))
    .addHelpText(
      'after',
      '\nSettings not given (positions, LayerNorm placement, --lr, --warmup, --label-smoothing) come from the\nrecipe for the task and size that docs/training.md measures.\n\nExamples:\n  tlc train --task mlm --preset tiny --time-budget 10m --out runs/mlm-tiny\n  tlc train --task translation --preset small --time-budget 15m --out runs/enfr-small\n  tlc train --task classify --init mlm-small --data spam-assassin --time-budget 5m --out runs/spam-small\n  tlc train --resume --out runs/mlm-tiny --time-budget 20m\n',
    )
    .action(action(train));
}
