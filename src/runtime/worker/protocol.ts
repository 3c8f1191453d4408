/**
 * Messages between the server's main thread and a session worker. Tensors travel as typed arrays (their
 * buffers transferred, not copied); errors travel as `{ code, message }` and become TlcErrors again.
 */
import type { ErrorCode } from '../../errors/index.js';
import type { Device } from '../../ort/session.js';

/** A tensor as plain data: ORT type name, values, shape. */
export interface WireTensor {
  readonly type: 'float32' | 'int64' | 'int32' | 'bool' | 'string' | 'float16' | 'uint8' | 'int8';
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array | string[];
  readonly dims: readonly number[];
}

export type VariantKind = 'fill-mask' | 'translation';

export interface LoadRequest {
  readonly op: 'load';
  readonly kind: VariantKind;
  /** The variant's ONNX files (fill-mask: one; translation: encoder, decoder, decoder with past). */
  readonly files: readonly string[];
  readonly threads: number;
  readonly device: Device;
}

export interface FillMaskRequest {
  readonly op: 'fill-mask';
  /** [B, S] token ids and attention mask of the padded batch. */
  readonly ids: BigInt64Array;
  readonly mask: BigInt64Array;
  readonly dims: readonly [number, number];
  /** Row indices b·S + s of the masked positions. */
  readonly rows: BigInt64Array;
  readonly topK: number;
}

export interface TranslateWorkRequest {
  readonly op: 'translate';
  readonly sources: readonly Int32Array[];
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly decoderStart: number;
  readonly maxNewTokens: number;
  readonly numBeams: number;
  readonly lengthPenalty: number;
}

/** Raw inference (KServe v2): feeds by input name; returns the requested outputs (all when omitted). */
export interface InferRequest {
  readonly op: 'infer';
  /** Which of the variant's files (0 for single-file variants). */
  readonly file: number;
  readonly feeds: Readonly<Record<string, WireTensor>>;
  readonly outputs?: readonly string[];
}

export type WorkRequest = LoadRequest | FillMaskRequest | TranslateWorkRequest | InferRequest;

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

export interface FillMaskResult {
  /** [M, k] probabilities and token ids. */
  readonly scores: Float32Array;
  readonly ids: BigInt64Array;
  readonly k: number;
}

export interface TranslateResult {
  readonly outputs: readonly Int32Array[];
}

export interface InferResult {
  readonly outputs: Readonly<Record<string, WireTensor>>;
}

export type WorkResult = LoadResult | FillMaskResult | TranslateResult | InferResult;

export type WorkerMessage =
  | { readonly id: number; readonly ok: true; readonly result: WorkResult; readonly seconds: number }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string };
