/**
 * Messages between the server's main thread and a session worker. Tensors travel as typed arrays (their
 * buffers transferred, not copied); errors travel as `{ code, message }` and become TlcErrors again.
 */
import type { ErrorCode } from '../../errors/index.js';
import type { ProbeJson } from '../../model-folder/probe-json.js';
import type { ModelTask, VariantEntry } from '../../model-folder/tlc-json.js';
import type { Device } from '../../ort/session.js';
import type { VariantFidelity } from '../fidelity.js';

/** A tensor as plain data: ORT type name, values, shape. */
export interface WireTensor {
  readonly type: 'float32' | 'int64' | 'int32' | 'bool' | 'string' | 'float16' | 'uint8' | 'int8';
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | string[];
  readonly dims: readonly number[];
}

export interface LoadRequest {
  readonly op: 'load';
  /** The task whose worker spec opens the files and answers `run` requests (src/tasks). */
  readonly task: ModelTask;
  /** The variant's ONNX files, in the order the task's ServedModel.variantFiles gives them. */
  readonly files: readonly string[];
  readonly threads: number;
  readonly device: Device;
}

/** One batch of the variant's task; the payload and its answer are the task's own types. */
export interface RunRequest {
  readonly op: 'run';
  readonly payload: unknown;
}

/** Raw inference (KServe v2): feeds by input name; returns the requested outputs (all when omitted). */
export interface InferRequest {
  readonly op: 'infer';
  /** Which of the variant's files (0 for single-file variants). */
  readonly file: number;
  readonly feeds: Readonly<Record<string, WireTensor>>;
  readonly outputs?: readonly string[];
}

/**
 * Runs the folder's fidelity probe (runtime/fidelity.ts) on this variant's files with the load's threads and
 * device: in the worker, so that its sessions neither block the main thread nor leave memory in the server.
 */
export interface ProbeRequest {
  readonly op: 'probe';
  readonly dir: string;
  readonly entry: VariantEntry;
  readonly probe: ProbeJson;
}

/**
 * Asks the worker to stop: it finishes the requests it received before this one, releases its sessions and
 * exits by itself (its event loop empties). The main thread never terminates a worker from outside, because
 * `worker.terminate()` during a synchronous ONNX Runtime run makes the binding's N-API calls fail when the run
 * returns, and the C++ exception it throws then (`Napi::Error`) aborts the whole process.
 */
export interface CloseRequest {
  readonly op: 'close';
}

export type WorkRequest = LoadRequest | RunRequest | InferRequest | ProbeRequest | CloseRequest;

/** A graph input or output: ORT type name and shape (-1 for a symbolic dimension). */
export interface TensorSignature {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly number[];
}

export interface LoadResult {
  /** The provider that accepted the model (cpu when a requested GPU provider fell back). */
  readonly provider: string;
  /** Inputs and outputs of each file's session (the fill-mask file as served, with top-k). */
  readonly signatures: readonly {
    readonly inputs: readonly TensorSignature[];
    readonly outputs: readonly TensorSignature[];
  }[];
  readonly warnings: readonly string[];
}

export interface InferResult {
  readonly outputs: Readonly<Record<string, WireTensor>>;
}

export type WorkResult = LoadResult | InferResult | unknown;

/** The answer to each kind of request (a task's `run` answer is typed by the task that sent it). */
export type ResultOf<R extends WorkRequest> = R extends LoadRequest
  ? LoadResult
  : R extends InferRequest
    ? InferResult
    : R extends ProbeRequest
      ? VariantFidelity | null
      : R extends CloseRequest
        ? null
        : unknown;

export type WorkerMessage =
  | { readonly id: number; readonly ok: true; readonly result: WorkResult; readonly seconds: number }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string };
