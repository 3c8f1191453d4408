/**
 * What a task is to TLC: one `TaskSpec` per folder under src/tasks/, gathered in the table of
 * src/tasks/index.ts. The layers above (the registry, the session worker, the HTTP routes, KServe v2, …) hold
 * no per-task branches; they look the task up and call its spec. A spec is generic inside its folder and
 * presents plain interfaces outside it, so no caller casts a union back to one task's types.
 *
 * The spec reaches upward layers only through what they hand in: a way to call the variant's session worker
 * (`WorkerCall`), a way to make a batcher (`BatcherFactory`), and the request's metrics (`RequestIo`).
 */

import type { Split } from '../data/index.js';
import type { ModelTask, TlcModelJson, VariantEntry } from '../model-folder/tlc-json.js';
import type { TransformerConfig } from '../models/config.js';
import type { ParamInfo } from '../models/context.js';
import type { BuiltModel } from '../models/encoder.js';
import type { Model, Tensor } from '../onnx/ir.js';
import type { Device, OrtSession, OrtTensor } from '../ort/session.js';
import type { RunConfig, Task } from '../run-folder/run-config.js';
import type { BpeModel } from '../tokenizer/model.js';
import type { SpecialIds } from '../tokenizer/special-ids.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { MetricSpec } from './about.js';
import type { VariantScores } from './scores.js';

/** The session worker's side of a task: how it loads a variant's files and answers one batch. */
export interface WorkerSpec<Request, Result> {
  /** The model to open for the variant's `index`-th file: the file itself, or a graph rewritten for serving. */
  prepare(index: number, file: string): string | Uint8Array;
  run(sessions: readonly OrtSession[], request: Request): Promise<Result>;
  /** Buffers of a result to move to the main thread rather than copy. */
  transferables(result: Result): ArrayBuffer[];
}

/** Sends one batch request to a session worker of the variant and resolves with its answer. */
export type WorkerCall = (request: unknown, transfer?: ArrayBuffer[]) => Promise<unknown>;

/** What the batcher gives back for one item. */
export interface Batched<O> {
  readonly output: O;
  readonly queueSeconds: number;
  readonly batchSize: number;
}

/**
 * A queue that groups items into batches (the runtime's DynamicBatcher). Work is counted in token positions run
 * through the model, priced by the task (fill-mask: tokens; translation: source plus beams × new tokens);
 * clients are served by fair share of work, and the work a variant and each client hold is bounded.
 */
export interface Batcher<I, O> {
  submit(item: I): Promise<Batched<O>>;
  /** One request's items from `client`, item i costing `costs[i]`: admitted or refused (QUEUE_FULL) whole. */
  submitAll(items: readonly I[], costs: readonly number[], client: string): Promise<Batched<O>[]>;
  /** One call to a worker (raw tensors) in `client`'s turn under the same budgets, run alone on a worker. */
  runAlone<T>(work: () => Promise<T>, cost: number, client: string): Promise<T>;
  readonly depth: number;
  idle(): Promise<void>;
}

/**
 * Makes a batcher over `run`. `cancelled` holds one flag per item, on a SharedArrayBuffer: the batcher sets an
 * item's flag to 1 when it gives the item up (timed out) while its batch runs, so long work (generation) can
 * stop early by polling it with Atomics.load, in the worker too.
 */
export type BatcherFactory = <I, O>(
  run: (items: I[], cancelled: Int32Array) => Promise<O[]>,
  lengthOf: (item: I) => number,
) => Batcher<I, O>;

/** The server's per-request services: tokenizing with metrics and length checks, queue metrics, limits. */
export interface RequestIo {
  /** Who sent the request (its API key's digest, or its address): its lane and budget in the batcher. */
  readonly client: string;
  /** Token ids per text through `encode`, timed, counted and checked against the model's maximum length. */
  tokenize(texts: readonly string[], encode: (text: string) => number[]): Int32Array[];
  /** Records queue time, batch size and queue depth of submitted items. */
  observe(outcomes: readonly Batched<unknown>[], depth: number): void;
  /** Adds generated tokens to the token counter. */
  countTokens(n: number): void;
  /**
   * Refuses (INPUT_TOO_LARGE) before any work an answer of more than the server's limit of items (fill-mask:
   * candidates, masks × top_k over all inputs), so that no request builds a 100 MB answer.
   */
  checkAnswerSize(items: number, what: string): void;
}

/** A `/v1` task request body (openapi.yaml validates it per route before it gets here). */
export interface TextBody {
  readonly inputs: string | readonly string[];
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** One loaded variant as the HTTP layer sees it: text in, JSON out. */
export interface VariantRunner {
  /** `POST /v1/models/{model}/{route}`: the body, its texts (within the server's limits), the JSON to answer. */
  v1(body: TextBody, texts: readonly string[], io: RequestIo): Promise<unknown>;
  /** KServe v2 text inference: one BYTES value per text. */
  v2(
    texts: readonly string[],
    parameters: Readonly<Record<string, unknown>>,
    io: RequestIo,
  ): Promise<unknown[]>;
  /**
   * Raw work for the variant's first graph (KServe v2 tensors) through the batcher's queue: it waits for its
   * client's turn under the same budgets as text, holding `cost` (rows × length), and runs alone on a worker.
   * Every task's runner has it; a runner without it (a stand-in) has raw work go straight to a worker.
   */
  runAlone?<T>(work: () => Promise<T>, cost: number, client: string): Promise<T>;
  /** One small request through the batcher, so that the first user request is not the slow one. */
  warmUp(): Promise<void>;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
}

/** A model folder opened for serving: its tokenizer, what the task read from the folder, its variants. */
export interface ServedModel {
  readonly maxLength: number;
  /** The variant's files in the order the worker expects them (absolute or folder-relative, as given). */
  variantFiles(files: readonly string[], where: string): string[];
  /** A runner over one variant's workers. */
  runner(call: WorkerCall, batcher: BatcherFactory): VariantRunner;
}

/** The serving side of a task. */
export interface ServingSpec {
  /** The `/v1/models/{model}/…` path segment. */
  readonly route: string;
  /** The v2 text output's name. */
  readonly v2Output: string;
  /**
   * The request parameters (Hugging Face names) as JSON Schema: openapi.yaml's v1 body says the same (a test
   * holds them equal), and v2 text requests are checked against it, so both APIs take the same ranges.
   */
  readonly parameters: { readonly type: 'object'; readonly properties: Readonly<Record<string, object>> };
  /** Reads what the task needs from the folder (beyond tlc.json) and checks the tokenizer has it. */
  open(dir: string, tokenizer: Tokenizer, maxLength: number): ServedModel;
  /** Writes into a model folder the pooling `export-and-compress --pooling` names (feature extraction). */
  readonly withPooling?: (dir: string, mode: string) => void;
}

export interface ScoreOptions {
  readonly threads: number;
  /** The model's longest input (0: unknown): longer inputs are cut as the server's `truncation` cuts them. */
  readonly maxLength: number;
  /** The fp32 variant's files, for scores measured against fp32 (feature extraction's cosine and recall@10). */
  readonly reference?: readonly string[];
  /** Fill-mask: the block length of the evaluation text. */
  readonly sequenceLength: number;
  /** Fill-mask: tokens of the evaluation text scored (default 16384). */
  readonly maxTokens?: number;
}

/** How a variant is scored on `--eval-data` (compression reports, `tlc bench`). */
export interface ScoringSpec {
  readonly metric: MetricSpec;
  /** What `--eval-data` must be, for help texts and errors. */
  readonly dataDescription: string;
  /**
   * Tokens per sample input of the drift and latency check, given the model's maximum length (0 when unknown)
   * and the length asked for.
   */
  sampleLength(maxLength: number, asked: number): number;
  /** Scores the variant whose files (relative to `folder`) are `files` on `evalFile`. */
  score(folder: string, files: readonly string[], evalFile: string, o: ScoreOptions): Promise<VariantScores>;
}

export interface ProbeOptions {
  readonly threads: number;
  readonly device: Device;
  /** Session options beyond threads and device (ORT `extra` config entries). */
  readonly extra?: Record<string, unknown>;
}

/** One variant's sessions, ready to time a batch shape. */
export interface Probe {
  /** The execution provider that accepted the variant. */
  readonly provider: string;
  /** One timed unit of work for `batch` inputs of `sequence` tokens. */
  workload(batch: number, sequence: number): () => Promise<void>;
  release(): Promise<void>;
}

/** What `tlc bench` times for a task, as the server runs it. */
export interface BenchSpec {
  /** Sequence lengths timed when `--lengths` is not given (capped at the model's maximum). */
  readonly lengths: readonly number[];
  probe(folder: string, tlc: TlcModelJson, variant: VariantEntry, o: ProbeOptions): Promise<Probe>;
}

/** What validation needs from the trainer: the evaluation graph with the current weights, and those weights. */
export interface ValidationView {
  readonly evaluate: EvalRunner;
  readonly weights: ReadonlyMap<string, Tensor['data']>;
}

/** A run's task, ready to train: its graphs, its batches and its validation. */
export interface TrainingTask {
  readonly train: BuiltModel;
  readonly evaluate: BuiltModel;
  batch(step: number, micro: number): Batch;
  validate(view: ValidationView): Promise<Record<string, number>>;
  /** Baselines the model must beat, from the same validation data (summary.json). */
  readonly baseline: Readonly<Record<string, number>>;
}

/** What `tlc eval` hands a task to score a checkpoint on a split. */
export interface SplitEvaluation {
  readonly run: RunConfig;
  readonly split: Split;
  readonly tokenizer: BpeModel;
  readonly special: SpecialIds;
  /** The loss graph (`lossGraph`) with the checkpoint's weights. */
  readonly runner: EvalRunner;
  readonly weights: ReadonlyMap<string, Tensor['data']>;
  readonly threads: number;
  /** Cap on tokens evaluated, where the task reads a token stream. */
  readonly maxTokens?: number;
  /** Writes a JSON file beside the checkpoint in the run folder (a classifier's confusion matrix). */
  readonly writeReport?: (file: string, value: unknown) => void;
}

/** The training side of a task (`tlc train`, `tlc eval`). */
export interface TrainingSpec {
  /** `tlc train --task` and run.json's `task`. */
  readonly runTask: Task;
  /** Runs start from a pretrained run (`--init`, fine-tuning) and take its size and tokenizer. */
  readonly fineTunes?: boolean;
  /** Built-in corpora (`--corpus`); the first is the default. */
  readonly corpora: readonly string[];
  /** User data files a run takes at most, and what they are (for `--data`). */
  readonly maxDataFiles: number;
  readonly dataDescription: string;
  /** ONNX Runtime sessions the trainer may keep (one per batch shape) and whether they keep CPU arenas. */
  readonly sessions: { readonly maxSessions: number; readonly memoryArena: boolean };
  /** The train split's texts, for training the tokenizer. */
  tokenizerTexts(run: RunConfig): Promise<string[]>;
  prepare(
    run: RunConfig,
    tokenizer: BpeModel,
    special: SpecialIds,
    log: (m: string) => void,
  ): Promise<TrainingTask>;
  /**
   * Settings a new run takes from its data or its initial model before run.json is written (a classifier's
   * label names); absent: the run is used as given.
   */
  resolve?(run: RunConfig): Promise<RunConfig>;
  /** The evaluation graph (loss, no dropout, no label smoothing). */
  lossGraph(config: TransformerConfig, run: RunConfig): BuiltModel;
  evaluateSplit(e: SplitEvaluation): Promise<Record<string, number>>;
  /** Writes the run's test split to `<base>.txt` / `.tsv` / `.jsonl` (what `--eval-data` takes); returns the file. */
  writeTestSplit(run: RunConfig, base: string): Promise<string>;
}

/** The model folder a task exports: the Hugging Face family, the graphs and the JSON files beside them. */
export interface ExportSpec {
  readonly family: 'roberta' | 'marian';
  /** The graphs, by file name under onnx/; `bake` puts the trained weights in. */
  graphs(
    config: TransformerConfig,
    bake: (model: Model) => Model,
    run: RunConfig,
  ): readonly (readonly [string, Model])[];
  /** The parameters of the model as trained (for the counts in tlc.json). */
  params(config: TransformerConfig, run: RunConfig): readonly ParamInfo[];
  /** config.json and any other Hugging Face JSON files (generation_config.json), by file name. */
  hfFiles(config: TransformerConfig, special: SpecialIds, run: RunConfig): Readonly<Record<string, unknown>>;
}

export interface TaskSpec<Name extends ModelTask = ModelTask> {
  /** The task as model folders (tlc.json) and the server name it. */
  readonly name: Name;
  readonly worker: WorkerSpec<unknown, unknown>;
  readonly serving: ServingSpec;
  readonly scoring: ScoringSpec;
  readonly bench: BenchSpec;
  /** How `tlc train` trains it and exports the run (absent: TLC serves and compresses it, does not train it). */
  readonly training?: TrainingSpec;
  readonly export?: ExportSpec;
  /** Runs of another task that export as this one (`tlc export --as`): an MLM encoder as sentence embeddings. */
  readonly exportFrom?: { readonly runTask: string; readonly export: ExportSpec };
}

/** A task that `tlc train` trains: its row has both parts. */
export type TrainedTaskSpec = TaskSpec & { readonly training: TrainingSpec; readonly export: ExportSpec };

/** Runs the evaluation graph on a batch and returns the named outputs. */
export type EvalRunner = (batch: Batch, outputs: readonly string[]) => Promise<Record<string, OrtTensor>>;

/** One training or evaluation batch: the graph's feeds, the symbolic dimensions they fix, its tokens. */
export interface Batch {
  readonly inputs: Readonly<Record<string, OrtTensor>>;
  readonly dims: Readonly<Record<string, number>>;
  /** Tokens in the batch (for throughput figures). */
  readonly tokens: number;
}
