/**
 * The one seam around onnxruntime-node: sessions, tensors and their errors. Everything else in TLC goes
 * through here, so the runtime can be swapped, mocked or configured in one place.
 */
import * as ort from 'onnxruntime-node';
import { messageOf, TlcError } from '../errors/index.js';

export type OrtTensor = ort.Tensor;
export type OrtSession = ort.InferenceSession;
export type OrtFeeds = Record<string, ort.Tensor>;
export type OrtTensorType = ort.Tensor.Type;
export type OrtTensorData = ort.Tensor.DataType;

export interface SessionOptions {
  /** Intra-op threads (default 1: callers budget threads explicitly). */
  readonly threads?: number;
  readonly optimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  /** Named in error messages. */
  readonly source?: string;
  /** External data files for a model given as bytes: path as written in the model → contents. */
  readonly externalData?: readonly { path: string; data: Uint8Array }[];
  /** Extra session config entries (ORT's `extra`), e.g. `{ session: { qdq_matmulnbits_accuracy_level: '0' } }`. */
  readonly extra?: Record<string, unknown>;
}

function sessionOptions(options: SessionOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.optimizationLevel ?? 'all',
    logSeverityLevel: 3,
    ...(options.externalData && {
      externalData: options.externalData.map((e) => ({ path: e.path, data: e.data })),
    }),
    ...(options.extra && { extra: options.extra }),
  };
}

/** Creates a CPU session from a file path or model bytes; ORT's refusal becomes ORT_SESSION_FAILED. */
export async function createSession(
  model: string | Uint8Array,
  options: SessionOptions = {},
): Promise<OrtSession> {
  const source = options.source ?? (typeof model === 'string' ? model : '<model bytes>');
  try {
    return typeof model === 'string'
      ? await ort.InferenceSession.create(model, sessionOptions(options))
      : await ort.InferenceSession.create(model, sessionOptions(options));
  } catch (error) {
    throw new TlcError(
      'ORT_SESSION_FAILED',
      `${source}: ONNX Runtime cannot load the model: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** Runs a session; ORT's failure becomes ORT_RUN_FAILED. */
export async function runSession(
  session: OrtSession,
  feeds: OrtFeeds,
  outputs?: readonly string[],
): Promise<Record<string, OrtTensor>> {
  try {
    return outputs === undefined ? await session.run(feeds) : await session.run(feeds, outputs);
  } catch (error) {
    throw new TlcError('ORT_RUN_FAILED', `ONNX Runtime failed to run the model: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/** Wraps a typed array (no copy) as an ORT tensor. */
export function ortTensor(type: OrtTensorType, data: OrtTensorData, dims: readonly number[]): OrtTensor {
  return new ort.Tensor(type, data, dims);
}
