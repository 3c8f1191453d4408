/**
 * The training step runner. Parameters and optimizer state live in JavaScript memory; each step feeds the
 * parameters (zero-copy) to an ONNX Runtime session of the forward + backward graph, gets the loss and the
 * gradients back, accumulates them over micro-batches, clips, and applies AdamW. One session per input-shape
 * bucket (sessions hold no weights, so they are cheap), created on first use.
 */
import { TlcError } from '../errors/index.js';
import type { ParamInfo } from '../models/context.js';
import type { BuiltModel } from '../models/encoder.js';
import { DataType } from '../onnx/dtype.js';
import { encodeModel } from '../onnx/io.js';
import type { Tensor } from '../onnx/ir.js';
import {
  createSessionOn,
  type Device,
  type OrtFeeds,
  type OrtSession,
  type OrtTensor,
  ortTensor,
  runSession,
} from '../ort/session.js';
import type { Batch } from '../tasks/spec.js';
import { AdamW, type AdamWOptions, clipScale, DEFAULT_ADAMW, globalNorm } from './adamw.js';
import { stepMasks } from './dropout-masks.js';
import type { Schedule } from './schedule.js';
import { buildTrainable, paramsAsInputs, type TrainableGraph } from './trainable.js';

/** One micro-batch: the data inputs, and sizes for the symbolic dims of the dropout masks. */

export interface TrainerOptions {
  readonly seed: number;
  readonly schedule: Schedule;
  readonly adamw?: AdamWOptions;
  /** Global-norm gradient clipping (off when undefined). */
  readonly clipNorm?: number;
  /** Apply weight decay to embeddings too (off by default, as are biases and norms). */
  readonly decayEmbeddings?: boolean;
  readonly threads?: number;
  readonly device?: Device;
  readonly fallbackToCpu?: boolean;
  /** Sessions kept for different input shapes (default 8). */
  readonly maxSessions?: number;
  /** ORT's CPU memory arena per session (default true; off when many shapes each keep a session). */
  readonly memoryArena?: boolean;
}

export interface StepResult {
  readonly step: number;
  /** Mean loss over the micro-batches. */
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  readonly lr: number;
  readonly tokens: number;
}

class SessionCache {
  private readonly sessions = new Map<string, OrtSession>();
  provider = 'cpu';

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: TrainerOptions,
    private readonly source: string,
  ) {}

  async get(key: string): Promise<OrtSession> {
    const found = this.sessions.get(key);
    if (found !== undefined) {
      this.sessions.delete(key); // re-insert: most recently used last
      this.sessions.set(key, found);
      return found;
    }
    const created = await createSessionOn(this.bytes, {
      threads: this.options.threads ?? 1,
      memoryArena: this.options.memoryArena ?? true,
      source: this.source,
      ...(this.options.device !== undefined && { device: this.options.device }),
      ...(this.options.fallbackToCpu !== undefined && { fallbackToCpu: this.options.fallbackToCpu }),
    });
    this.provider = created.provider;
    this.sessions.set(key, created.session);
    const max = this.options.maxSessions ?? 8;
    while (this.sessions.size > max) {
      const [oldest, session] = this.sessions.entries().next().value as [string, OrtSession];
      this.sessions.delete(oldest);
      await session.release();
    }
    return created.session;
  }

  async dispose(): Promise<void> {
    for (const s of this.sessions.values()) await s.release();
    this.sessions.clear();
  }
}

/**
 * The shape bucket of a batch: its named dimension sizes (batch, sequence, target…). Inputs whose length varies
 * from batch to batch without changing the work much (the number of masked or target positions) stay out of
 * the key, so they do not multiply sessions.
 */
function bucketKey(batch: Batch): string {
  return Object.entries(batch.dims)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
}

export class Trainer {
  readonly params = new Map<string, Float32Array>();
  readonly optimizer: AdamW;
  private readonly decay: Set<string>;
  private readonly trainSessions: SessionCache;
  private readonly evalSessions: SessionCache;

  private constructor(
    readonly graph: TrainableGraph,
    readonly built: BuiltModel,
    readonly paramInfo: readonly ParamInfo[],
    readonly options: TrainerOptions,
    evalModelBytes: Uint8Array,
  ) {
    for (const [name, t] of graph.initial) {
      if (t.dataType !== DataType.FLOAT)
        throw new TlcError('CONFIG_INVALID', `the trainer trains float32 models; "${name}" is not`);
      this.params.set(name, Float32Array.from(t.data as Float32Array));
    }
    this.optimizer = new AdamW(options.adamw ?? DEFAULT_ADAMW);
    this.decay = new Set(
      paramInfo
        .filter((p) => p.role === 'weight' || (options.decayEmbeddings && p.role === 'embedding'))
        .map((p) => p.name),
    );
    this.trainSessions = new SessionCache(encodeModel(graph.model), options, 'training graph');
    this.evalSessions = new SessionCache(evalModelBytes, options, 'evaluation graph');
  }

  /**
   * Builds the training graph of `train` (which must output a scalar loss) and, for evaluation, uses
   * `evaluate` (the same parameters, no dropout) when given.
   */
  static async create(train: BuiltModel, options: TrainerOptions, evaluate?: BuiltModel): Promise<Trainer> {
    if (train.loss === undefined)
      throw new TlcError('CONFIG_INVALID', 'the training graph has no loss output');
    const names = train.params.map((p) => p.name);
    const graph = await buildTrainable(train.model, names, train.loss);
    const evalSource = evaluate ?? train;
    const evalModel = paramsAsInputs(evalSource.model, names).model;
    return new Trainer(graph, train, train.params, options, encodeModel(evalModel));
  }

  /** Updates applied so far. */
  get step(): number {
    return this.optimizer.step;
  }

  /** The execution provider the sessions run on. */
  get provider(): string {
    return this.trainSessions.provider;
  }

  private paramFeeds(): OrtFeeds {
    const feeds: OrtFeeds = {};
    for (const [name, values] of this.params)
      feeds[name] = ortTensor('float32', values, this.graph.initial.get(name)!.dims);
    return feeds;
  }

  /** One optimizer step over one or more micro-batches (gradient accumulation). */
  async trainStep(micro: readonly Batch[]): Promise<StepResult> {
    if (micro.length === 0) throw new TlcError('CONFIG_INVALID', 'a step needs at least one micro-batch');
    const step = this.optimizer.step + 1;
    const params = this.paramFeeds();
    const grads = new Map<string, Float32Array>();
    let lossSum = 0;
    let normSquared = 0;
    let tokens = 0;
    for (let k = 0; k < micro.length; k++) {
      const batch = micro[k]!;
      const feeds: OrtFeeds = { ...batch.inputs, ...params };
      for (const m of stepMasks(this.built.dropoutSites, batch.dims, this.options.seed, step, k)) {
        feeds[m.input] = ortTensor('bool', m.mask, m.shape);
      }
      const session = await this.trainSessions.get(bucketKey(batch));
      const out = await runSession(session, feeds);
      lossSum += Number(out[this.graph.loss]!.data[0]);
      normSquared = Number(out[this.graph.gradNormSquared]!.data[0]);
      tokens += batch.tokens;
      for (const [p, g] of this.graph.gradients) {
        const data = out[g]!.data as Float32Array;
        const acc = grads.get(p);
        if (acc === undefined) grads.set(p, data);
        else for (let i = 0; i < acc.length; i++) acc[i]! += data[i]!;
      }
    }
    const average = 1 / micro.length;
    // One micro-batch: the graph already summed the squares on ORT's threads. Several: the norm of the sum.
    const gradNorm = micro.length === 1 ? Math.sqrt(normSquared) : globalNorm(grads.values()) * average;
    const lr = this.options.schedule(step);
    this.optimizer.update(
      this.params,
      grads,
      lr,
      this.decay,
      average * clipScale(gradNorm, this.options.clipNorm),
    );
    return { step, loss: lossSum * average, gradNorm, lr, tokens };
  }

  /** Loss on a batch without dropout and without updating anything. */
  async evaluate(batch: Batch): Promise<number> {
    const session = await this.evalSessions.get(bucketKey(batch));
    const out = await runSession(session, { ...batch.inputs, ...this.paramFeeds() }, [this.graph.loss]);
    return Number(out[this.graph.loss]!.data[0]);
  }

  /** Named outputs of the evaluation graph on a batch (no dropout, no update). */
  async evaluateOutputs(batch: Batch, outputs: readonly string[]): Promise<Record<string, OrtTensor>> {
    const session = await this.evalSessions.get(bucketKey(batch));
    return runSession(session, { ...batch.inputs, ...this.paramFeeds() }, outputs);
  }

  /** Current parameters as tensors (shared memory: copy before mutating). */
  parameterTensors(): Tensor[] {
    return [...this.params].map(([name, data]) => ({
      name,
      dataType: DataType.FLOAT,
      dims: this.graph.initial.get(name)!.dims,
      data,
    }));
  }

  async dispose(): Promise<void> {
    await this.trainSessions.dispose();
    await this.evalSessions.dispose();
  }
}
