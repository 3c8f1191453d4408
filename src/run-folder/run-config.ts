/**
 * Everything a training run needs, validated once at the boundary (CLI flags, or a resumed run's saved file).
 * Saved as `run.json` in the output folder so that `--resume` and `tlc eval` rebuild the same run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import {
  type Activation,
  makeConfig,
  type PositionScheme,
  type TransformerConfig,
} from '../models/config.js';
import type { Device } from '../ort/session.js';
import { RUN_TASK_NAMES, type RunTask } from '../tasks/catalog.js';
import { jsonChecker } from '../util/json-schema.js';
import { RUN_FILE } from './files.js';

/** The tasks `tlc train --task` takes (run.json `task`): each task row's `runTask` (src/tasks/catalog.ts). */
export { RUN_TASK_NAMES };
export type Task = RunTask;

/** How the learning rate falls after warm-up. */
export type DecayKind = 'constant' | 'linear' | 'cosine' | 'inverse_sqrt';

export interface RunConfig {
  readonly task: Task;
  /** Built-in corpus (mlm: english, sotu, moby-dick; translation: en-fr, en-es) unless `dataFiles` are given. */
  readonly corpus: string;
  /** User data: plain-text files (mlm) or one TSV file (translation). */
  readonly dataFiles: readonly string[];
  readonly model: {
    readonly preset?: string;
    readonly dModel: number;
    readonly layers: number;
    readonly heads: number;
    readonly ffn: number;
    readonly maxLength: number;
    readonly dropout: number;
    readonly attentionDropout: number;
    readonly preLayerNorm: boolean;
    readonly positions: PositionScheme;
    readonly activation: Activation;
  };
  readonly vocabSize: number;
  /** An existing tokenizer.json to use instead of training one. */
  readonly tokenizer?: string;
  /**
   * The run or built-in model whose weights start this one (`--init`, fine-tuning): parameters of the same name
   * and shape are copied, the others (a new head) keep their initialisation; its size and tokenizer are used.
   */
  readonly init?: string;
  /** Label names of a classifier, in output order (from its data, sorted). */
  readonly labels?: readonly string[];
  /** Stop after this many seconds of training (evaluation time excluded) … */
  readonly timeBudgetSeconds?: number;
  /** … or this many optimizer steps, whichever comes first. */
  readonly maxSteps?: number;
  readonly batchTokens: number;
  readonly accumulate: number;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly schedule: DecayKind;
  readonly weightDecay: number;
  readonly clipNorm: number;
  readonly labelSmoothing: number;
  /** Evaluate on the validation split every N steps (and at the end). */
  readonly evalEvery: number;
  /** Validation tokens per MLM evaluation / sentences per translation evaluation. */
  readonly evalTokens: number;
  readonly evalSentences: number;
  readonly seed: number;
  readonly device: Device;
  readonly fallbackToCpu: boolean;
  readonly threads: number;
  readonly out: string;
}

export const RUN_DEFAULTS = {
  vocabSize: 8000,
  batchTokens: 2048,
  accumulate: 1,
  lr: 5e-4,
  warmupSteps: 100,
  schedule: 'linear' as DecayKind,
  weightDecay: 0.01,
  clipNorm: 1,
  evalEvery: 200,
  evalTokens: 32768,
  evalSentences: 200,
  seed: 1,
  threads: 2,
} as const;

/** What a task accepts as data (its TrainingSpec): built-in corpora, and how many user files of which kind. */
export interface DataRules {
  readonly corpora: readonly string[];
  readonly maxDataFiles: number;
  readonly dataDescription: string;
}

export function validateRunConfig(c: RunConfig, data: DataRules): RunConfig {
  const fail = (m: string): never => {
    throw new TlcError('CONFIG_INVALID', m);
  };
  if (c.timeBudgetSeconds === undefined && c.maxSteps === undefined)
    fail('give --time-budget or --max-steps (or both)');
  if (c.timeBudgetSeconds !== undefined && !(c.timeBudgetSeconds > 0)) fail('--time-budget must be positive');
  if (c.maxSteps !== undefined && !(Number.isInteger(c.maxSteps) && c.maxSteps > 0))
    fail('--max-steps must be a positive integer');
  if (!(c.batchTokens >= c.model.maxLength))
    fail(`--batch-tokens (${c.batchTokens}) must be at least --max-length (${c.model.maxLength})`);
  if (!(Number.isInteger(c.accumulate) && c.accumulate >= 1)) fail('--accumulate must be a positive integer');
  if (!(c.lr > 0)) fail('--lr must be positive');
  if (!(Number.isInteger(c.evalEvery) && c.evalEvery >= 1)) fail('--eval-every must be a positive integer');
  if (!(c.labelSmoothing >= 0 && c.labelSmoothing < 1)) fail('--label-smoothing must be in [0, 1)');
  if (!(Number.isInteger(c.threads) && c.threads >= 1)) fail('--threads must be a positive integer');
  if (!(Number.isInteger(c.vocabSize) && c.vocabSize >= 300))
    fail('--vocab-size must be at least 300 (5 specials + 256 bytes + merges)');
  if (c.dataFiles.length === 0 && !data.corpora.includes(c.corpus))
    fail(`--corpus for ${c.task} must be one of ${data.corpora.join(', ')}`);
  if (c.dataFiles.length > data.maxDataFiles) fail(`${c.task} takes ${data.dataDescription}`);
  return c;
}

/**
 * run.json as written by `tlc train`: the fields every reader relies on, checked on read. Older runs lack
 * `model.positions` (they used learned tables).
 */
const RUN_SCHEMA = {
  type: 'object',
  required: ['task', 'corpus', 'dataFiles', 'model', 'vocabSize', 'batchTokens', 'lr', 'seed', 'threads'],
  properties: {
    task: { enum: RUN_TASK_NAMES },
    corpus: { type: 'string' },
    dataFiles: { type: 'array', items: { type: 'string' } },
    model: {
      type: 'object',
      required: ['dModel', 'layers', 'heads', 'ffn', 'maxLength', 'preLayerNorm', 'activation'],
      properties: {
        dModel: { type: 'integer', minimum: 1 },
        layers: { type: 'integer', minimum: 1 },
        heads: { type: 'integer', minimum: 1 },
        ffn: { type: 'integer', minimum: 1 },
        maxLength: { type: 'integer', minimum: 2 },
        preLayerNorm: { type: 'boolean' },
        positions: { enum: ['learned', 'alibi'] },
        activation: { type: 'string' },
      },
    },
    vocabSize: { type: 'integer', minimum: 1 },
    init: { type: 'string' },
    labels: { type: 'array', items: { type: 'string' } },
    batchTokens: { type: 'integer', minimum: 1 },
    lr: { type: 'number' },
    seed: { type: 'integer' },
    threads: { type: 'integer', minimum: 1 },
  },
} as const;

const checkRun = jsonChecker<RunConfig>(RUN_SCHEMA, 'CHECKPOINT_FAILED');

/** The saved configuration of a run folder, checked. */
export function readRunConfig(dir: string): RunConfig {
  const path = join(dir, RUN_FILE);
  if (!existsSync(path))
    throw new TlcError('CHECKPOINT_FAILED', `${dir}: not a TLC run folder (no ${RUN_FILE})`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TlcError('CHECKPOINT_FAILED', `${path}: not JSON (${messageOf(error)})`, { cause: error });
  }
  const saved = checkRun(value, path);
  // Runs saved before position schemes existed used learned positions.
  return { ...saved, model: { ...saved.model, positions: saved.model.positions ?? 'learned' } };
}

/** The model a run trains, with the vocabulary of its tokenizer. */
export function modelConfig(run: RunConfig, vocabSize: number): TransformerConfig {
  return makeConfig({ ...run.model, vocabSize });
}
