/**
 * The model repository: every folder under the models directory that holds a `tlc.json`, or graphs in a layout
 * TLC reads (model-folder/layout.ts: Optimum's, at the root or under `onnx/`), is a model named after its folder;
 * other entries are skipped with the reason kept (`skipped()`). A model of a task TLC does not serve (a causal
 * LM) is listed as `unsupported` with how its task was detected; it does not make the server unready. Loading a model starts one worker
 * pool and one batcher per variant, warms each up, and only then reports the model ready. A folder that fails
 * to load is reported (status `failed`, with the reason) while the others serve. Reloading builds the new
 * variants first and swaps them in. Closing a variant (reload, unload, shutdown) refuses new work, waits up to
 * `drainMs` for what it admitted (batches, raw tensors, warm-ups: the pool counts every call), then fails the
 * rest with MODEL_NOT_READY and lets its workers exit by themselves (a worker process still in a run after that is
 * killed; a thread is left to finish). Loads and unloads of a model take turns.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import { readProbeJson } from '../model-folder/probe-json.js';
import { modelFolderCheck, modelFolderTlc, servedTask } from '../model-folder/read.js';
import type { ModelTask, TlcModelJson, VariantEntry } from '../model-folder/tlc-json.js';
import type { Device } from '../ort/session.js';
import { taskSpec } from '../tasks/index.js';
import type { BatcherFactory, ServedModel, VariantRunner, WorkerCall } from '../tasks/spec.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { type BatcherOptions, DynamicBatcher } from './batcher.js';
import { probeFailed, type VariantFidelity } from './fidelity.js';
import { checkFolderFacts } from './graph-truth.js';
import { LatencyWindow } from './latency-window.js';
import { type Answer, notReady, type PoolOptions, WorkerPool, within } from './worker/pool.js';
import type { InferRequest } from './worker/protocol.js';

export interface RegistryOptions {
  readonly device: Device;
  /** Intra-op threads per session. */
  readonly threads: number;
  /** Session workers per variant. */
  readonly workersPerVariant: number;
  /** How session workers run (default: a child process each, with this process's environment; worker/channel.ts). */
  readonly workerPool?: Pick<PoolOptions, 'isolation' | 'env'>;
  readonly batching: BatcherOptions;
  /** Receives load progress and warnings. */
  readonly log?: (message: string) => void;
  /** Told about every batch a variant ran: seconds in its worker and items. */
  readonly onBatch?: (model: string, variant: string, seconds: number, items: number) => void;
  /** Refuse requests that name a degraded variant (fidelity.ts) instead of answering them (default false). */
  readonly refuseDegraded?: boolean;
  /** How long a closing variant waits for its admitted work before failing it, in ms (default 30 s). */
  readonly drainMs?: number;
}

export type ModelStatus = 'loading' | 'ready' | 'failed' | 'unloaded' | 'unsupported';

/** Names a model may have: a folder name, no path tricks. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class LoadedVariant {
  readonly recent = new LatencyWindow(256);
  /** The fidelity probe's result at load (absent when the folder has no probe or tlc.json no figure). */
  fidelity?: VariantFidelity;
  private closing: Promise<void> | undefined;

  constructor(
    readonly entry: VariantEntry,
    readonly pool: WorkerPool,
    /** The task's text-in, JSON-out side over this variant's batcher and workers. */
    readonly runner: VariantRunner,
    readonly provider: string,
    /** The runner's batchers, told to refuse new items when the variant closes. */
    private readonly batchers: readonly { refuse(error: TlcError): void }[] = [],
  ) {}

  get name(): string {
    return this.entry.name;
  }

  /** p95 latency in ms: live once enough requests were seen, else the figure measured at compression. */
  p95Ms(): number | undefined {
    return this.recent.count >= 20 ? this.recent.percentile(95) : this.entry.latency?.p95_ms;
  }

  /** Raw inference (KServe v2) on one of the variant's workers; refused with MODEL_NOT_READY once it closes. */
  infer(request: InferRequest): Promise<Answer<InferRequest>> {
    return this.closing ? Promise.reject(this.refusal()) : this.pool.call(request);
  }

  /**
   * Refuses new work (after a reload, new requests find the new handle), answers what is queued or running
   * within `drainMs`, then fails the rest with MODEL_NOT_READY and lets the workers exit. A second call waits
   * for the first.
   */
  close(drainMs: number): Promise<void> {
    this.closing ??= (async () => {
      for (const b of this.batchers) b.refuse(this.refusal());
      const deadline = performance.now() + drainMs;
      await within(this.runner.idle(), drainMs);
      await this.pool.close({ drainMs: Math.max(0, deadline - performance.now()) });
      // What the batchers still held now fails at once (the pool refuses), so they empty; bounded all the same.
      await within(this.runner.idle(), 5_000);
    })();
    return this.closing;
  }

  private refusal(): TlcError {
    return notReady(`variant "${this.name}" is closing (its model reloads or unloads); retry`);
  }
}

export class ModelHandle {
  status: ModelStatus = 'loading';
  error?: string;
  /** Set on a serving model when a later reload failed (the old version kept serving). */
  reloadError?: string;
  /** Variants listed in tlc.json that failed to load, with the reason (the others serve). */
  readonly variantErrors = new Map<string, string>();
  tlc?: TlcModelJson;
  tokenizer?: Tokenizer;
  /** What the task read from the folder; it makes each variant's runner. */
  served?: ServedModel;
  variants = new Map<string, LoadedVariant>();

  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly refuseDegraded = false,
  ) {}

  get task(): TlcModelJson['task'] | undefined {
    return this.tlc?.task;
  }

  /** The variant to use: the named one, or the default (the first listed, normally fp32). */
  variant(name?: string): LoadedVariant {
    if (this.status === 'unsupported')
      throw new TlcError('TASK_NOT_SERVED', `model "${this.name}": ${this.error ?? 'task not served'}`);
    if (this.status !== 'ready')
      throw new TlcError(
        'MODEL_NOT_READY',
        `model "${this.name}" is ${this.status}${this.error ? `: ${this.error}` : ''}`,
      );
    if (name === undefined) return this.variants.values().next().value!;
    const v = this.variants.get(name);
    if (v === undefined)
      throw new TlcError(
        'VARIANT_NOT_FOUND',
        `model "${this.name}" has no variant "${name}"; it has ${[...this.variants.keys()].join(', ')} (or use variant=auto)`,
      );
    if (this.refuseDegraded && v.fidelity?.degraded)
      throw new TlcError(
        'VARIANT_DEGRADED',
        `model "${this.name}" variant "${name}" is degraded on this server: ${v.fidelity.reason}; ask for another variant or variant=auto`,
      );
    return v;
  }
}

export class ModelRegistry {
  private readonly models = new Map<string, ModelHandle>();
  /** The load or unload in progress per model (they run one after another). */
  private readonly loading = new Map<string, Promise<ModelHandle>>();

  constructor(
    readonly root: string,
    private readonly options: RegistryOptions,
  ) {}

  /** Model folders under the root, by name. */
  discover(): string[] {
    return this.survey().models;
  }

  /** Entries under the root that are not models, each with the reason (a bare .onnx, a folder without graphs). */
  skipped(): ReadonlyMap<string, string> {
    return this.survey().skipped;
  }

  private survey(): { models: string[]; skipped: Map<string, string> } {
    const skipped = new Map<string, string>();
    if (!existsSync(this.root)) return { models: [], skipped };
    const models: string[] = [];
    for (const name of readdirSync(this.root).sort()) {
      if (name.startsWith('.') || name.toLowerCase() === 'readme.md') continue;
      const dir = join(this.root, name);
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch (error) {
        skipped.set(name, `cannot be read (${messageOf(error)})`);
        continue;
      }
      if (!isDir) {
        if (name.endsWith('.onnx'))
          skipped.set(name, 'a bare .onnx file: put it in a folder with its tokenizer.json and config.json');
        continue;
      }
      if (!MODEL_NAME.test(name)) {
        skipped.set(name, 'not a valid model name (letters, digits, ".", "_", "-")');
        continue;
      }
      const check = modelFolderCheck(dir);
      if (check.ok) models.push(name);
      else skipped.set(name, check.reason);
    }
    return { models, skipped };
  }

  /** Loads every model found; failures are recorded on their handles, not thrown. */
  async loadAll(): Promise<void> {
    const log = this.options.log ?? (() => {});
    for (const [name, reason] of this.skipped()) log(`${name}: skipped: ${reason}`);
    for (const name of this.discover()) await this.load(name);
  }

  list(): ModelHandle[] {
    return [...this.models.values()];
  }

  get(name: string): ModelHandle {
    if (!MODEL_NAME.test(name)) throw new TlcError('MODEL_NOT_FOUND', `"${name}" is not a valid model name`);
    const m = this.models.get(name);
    if (m === undefined)
      throw new TlcError(
        'MODEL_NOT_FOUND',
        `no model "${name}"; models: ${[...this.models.keys()].join(', ') || '(none)'}`,
      );
    return m;
  }

  /**
   * True when a model serves and none is loading or failed (a failed one makes the server not ready; an
   * unsupported or unloaded one does not; no model at all does).
   */
  ready(): boolean {
    const models = this.list();
    return (
      models.some((m) => m.status === 'ready') &&
      models.every((m) => m.status === 'ready' || m.status === 'unloaded' || m.status === 'unsupported')
    );
  }

  /**
   * Loads (or reloads) a model by folder name. The old handle keeps serving until the new one is ready,
   * then its variants drain and stop. Returns the handle, whose status tells whether it worked.
   */
  async load(name: string): Promise<ModelHandle> {
    if (!MODEL_NAME.test(name)) throw new TlcError('MODEL_NOT_FOUND', `"${name}" is not a valid model name`);
    return this.serially(name, () => this.loadNow(name));
  }

  /** One load or unload per model at a time (concurrent reloads queue instead of starting workers that leak). */
  private async serially(name: string, work: () => Promise<ModelHandle>): Promise<ModelHandle> {
    const previous = this.loading.get(name) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.loading.set(name, next);
    try {
      return await next;
    } finally {
      if (this.loading.get(name) === next) this.loading.delete(name);
    }
  }

  private async loadNow(name: string): Promise<ModelHandle> {
    const dir = join(this.root, name);
    if (!existsSync(dir)) throw new TlcError('MODEL_NOT_FOUND', `no model folder "${name}" in ${this.root}`);
    const old = this.models.get(name);
    const handle = new ModelHandle(name, dir, this.options.refuseDegraded ?? false);
    if (old === undefined || old.status !== 'ready') this.models.set(name, handle);
    const log = this.options.log ?? (() => {});
    try {
      await this.open(handle);
      handle.status = 'ready';
      log(`${name}: ready (${[...handle.variants.keys()].join(', ')})`);
    } catch (error) {
      handle.status =
        error instanceof TlcError && error.code === 'TASK_NOT_SERVED' ? 'unsupported' : 'failed';
      handle.error = messageOf(error);
      await this.closeAll(handle.variants.values());
      handle.variants.clear();
      log(`${name}: failed to load: ${handle.error}`);
      if (old?.status === 'ready') {
        // The old model keeps serving; the failed reload stays visible until a load succeeds.
        old.reloadError = handle.error;
        return handle;
      }
    }
    this.models.set(name, handle);
    if (old !== undefined && old !== handle) await this.closeAll(old.variants.values());
    return handle;
  }

  /** New requests get MODEL_NOT_READY at once; what the variants admitted is answered (LoadedVariant.close). */
  async unload(name: string): Promise<ModelHandle> {
    this.get(name);
    return this.serially(name, async () => {
      const handle = this.get(name);
      const variants = handle.variants.values();
      handle.status = 'unloaded';
      handle.variants = new Map();
      await this.closeAll(variants);
      return handle;
    });
  }

  private async closeAll(variants: Iterable<LoadedVariant>): Promise<void> {
    await Promise.all([...variants].map((v) => v.close(this.options.drainMs ?? 30_000)));
  }

  async close(): Promise<void> {
    for (const name of [...this.models.keys()]) await this.unload(name);
  }

  private async open(handle: ModelHandle): Promise<void> {
    const tlc = modelFolderTlc(handle.dir);
    handle.tlc = tlc;
    const spec = taskSpec(servedTask(tlc, handle.name), handle.dir);
    const tokenizer = await Tokenizer.fromFile(join(handle.dir, 'tokenizer.json'));
    // Ids, positions and widths past the graph's tables would fail every request inside ONNX Runtime.
    checkFolderFacts(handle.dir, tlc, tokenizer);
    handle.tokenizer = tokenizer;
    const served = spec.serving.open(handle.dir, tokenizer, tlc.architecture.maxLength || 512);
    handle.served = served;
    // Each variant loads on its own: a broken one is reported (variantErrors) while the others serve.
    for (const entry of tlc.variants) {
      try {
        await this.openVariant(handle, spec.name, served, entry);
      } catch (error) {
        handle.variantErrors.set(entry.name, messageOf(error));
        this.options.log?.(`${handle.name}/${entry.name}: not served: ${messageOf(error)}`);
      }
    }
    if (handle.variants.size === 0)
      throw new TlcError(
        'MODEL_INVALID',
        `no variant loads: ${[...handle.variantErrors].map(([v, e]) => `${v}: ${e}`).join('; ')}`,
      );
    await this.checkFidelity(handle);
  }

  /** Runs the folder's fidelity probe on every loaded variant; a degraded one is logged and kept. */
  private async checkFidelity(handle: ModelHandle): Promise<void> {
    const probe = readProbeJson(handle.dir);
    if (probe === undefined) return;
    for (const v of handle.variants.values()) {
      const request = { op: 'probe', dir: handle.dir, entry: v.entry, probe } as const;
      const fidelity = await v.pool.call(request).then(
        (answer) => answer.result,
        (error: unknown) => probeFailed(v.entry, probe, error),
      );
      if (fidelity === null) continue;
      v.fidelity = fidelity;
      if (fidelity.degraded) this.options.log?.(`${handle.name}/${v.name}: degraded: ${fidelity.reason}`);
    }
  }

  private async openVariant(
    handle: ModelHandle,
    task: ModelTask,
    served: ServedModel,
    entry: VariantEntry,
  ): Promise<void> {
    const listed = served.variantFiles(entry.files, `${handle.dir}: variant ${entry.name}`);
    const files = listed.map((f) => join(handle.dir, f));
    for (const f of files) if (!existsSync(f)) throw new TlcError('MODEL_INVALID', `${f}: missing`);
    const log = (m: string) => this.options.log?.(`${handle.name}/${entry.name}: ${m}`);
    const pool = await WorkerPool.start(
      this.options.workersPerVariant,
      { op: 'load', task, files, threads: this.options.threads, device: this.options.device },
      { ...this.options.workerPool, log },
    );
    for (const w of pool.loaded.warnings) log(w);
    const call: WorkerCall = async (payload, transfer) =>
      (await pool.call({ op: 'run', payload }, transfer)).result;
    const batching = { ...this.options.batching, concurrency: pool.size };
    const batchers: { refuse(error: TlcError): void }[] = [];
    const makeBatcher: BatcherFactory = (run, lengthOf) => {
      const batcher = new DynamicBatcher(
        batching,
        async (items, cancelled) => {
          const t0 = performance.now();
          const out = await run(items, cancelled);
          this.options.onBatch?.(handle.name, entry.name, (performance.now() - t0) / 1000, items.length);
          return out;
        },
        lengthOf,
      );
      batchers.push(batcher);
      return batcher;
    };
    const runner = served.runner(call, makeBatcher);
    const variant = new LoadedVariant(entry, pool, runner, pool.loaded.provider, batchers);
    try {
      // One small request through each worker so that the first user request is not the slow one.
      await Promise.all(Array.from({ length: pool.size }, () => variant.runner.warmUp()));
    } catch (error) {
      await variant.close(0);
      throw error;
    }
    handle.variants.set(entry.name, variant);
  }
}
