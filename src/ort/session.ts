/**
 * The one seam around onnxruntime-node: sessions, tensors and their errors. Everything else in TLC goes
 * through here, so the runtime can be swapped, mocked or configured in one place.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { messageOf, TlcError } from '../errors/index.js';

export type OrtTensor = ort.Tensor;
export type OrtSession = ort.InferenceSession;
export type OrtFeeds = Record<string, ort.Tensor>;
export type OrtTensorType = ort.Tensor.Type;
export type OrtTensorData = ort.Tensor.DataType;

/** Where a session runs. `auto` tries CUDA, then WebGPU, then CPU. */
export type Device = 'cpu' | 'cuda' | 'webgpu' | 'auto';

export interface SessionOptions {
  /** Intra-op threads (default 1: callers budget threads explicitly). */
  readonly threads?: number;
  /** Execution provider (default cpu). ORT throws instead of falling back when a provider is missing. */
  readonly device?: Device;
  /** With device cuda or webgpu: fall back to CPU (with a warning) instead of failing when it is unavailable. */
  readonly fallbackToCpu?: boolean;
  /** Receives warnings, such as a fallback to CPU (default: stderr). */
  readonly warn?: (message: string) => void;
  readonly optimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  /** Named in error messages. */
  readonly source?: string;
  /** External data files for a model given as bytes: path as written in the model → contents. */
  readonly externalData?: readonly { path: string; data: Uint8Array }[];
  /**
   * Keep freed memory in ORT's CPU arena for the next run (default true). Off for sessions that are many and
   * large, such as training graphs kept per input shape: each arena keeps its peak working set for good.
   */
  readonly memoryArena?: boolean;
  /** Extra session config entries (ORT's `extra`), e.g. `{ session: { qdq_matmulnbits_accuracy_level: '0' } }`. */
  readonly extra?: Record<string, unknown>;
}

function sessionOptions(
  options: SessionOptions,
  provider: 'cpu' | 'cuda' | 'webgpu',
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: options.optimizationLevel ?? 'all',
    logSeverityLevel: 3,
    ...(options.memoryArena === false && { enableCpuMemArena: false }),
    ...(options.externalData && {
      externalData: options.externalData.map((e) => ({ path: e.path, data: e.data })),
    }),
    ...(options.extra && { extra: options.extra }),
  };
}

/** The providers to try, in order, for a device choice. */
export function providersFor(device: Device, fallbackToCpu: boolean): ('cpu' | 'cuda' | 'webgpu')[] {
  switch (device) {
    case 'cpu':
      return ['cpu'];
    case 'cuda':
    case 'webgpu':
      return fallbackToCpu ? [device, 'cpu'] : [device];
    case 'auto':
      return ['cuda', 'webgpu', 'cpu'];
    default: {
      const never: never = device;
      throw new TlcError('CLI_USAGE', `unknown device "${String(never)}"; use cpu, cuda, webgpu or auto`);
    }
  }
}

export interface CreatedSession {
  readonly session: OrtSession;
  /** The execution provider that accepted the model. */
  readonly provider: 'cpu' | 'cuda' | 'webgpu';
}

/**
 * Creates a session from a file path or model bytes on the requested device. ORT throws (it does not fall
 * back) when a provider's library is missing; with `auto` or `fallbackToCpu` the next provider is tried and a
 * warning says why. ORT's refusal of the model itself becomes ORT_SESSION_FAILED.
 */
export async function createSessionOn(
  model: string | Uint8Array,
  options: SessionOptions = {},
): Promise<CreatedSession> {
  const source = options.source ?? (typeof model === 'string' ? model : '<model bytes>');
  const device = options.device ?? 'cpu';
  const providers = providersFor(device, options.fallbackToCpu ?? false);
  const warn = options.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  let lastError: unknown;
  for (const provider of providers) {
    if (provider === 'cuda' && !cudaLibraryInstalled()) {
      lastError = new Error(
        'Failed to load shared library: libonnxruntime_providers_cuda.so is not installed',
      );
      const next = providers[providers.indexOf(provider) + 1];
      if (next !== undefined)
        warn(`cuda execution provider unavailable (its library is not installed); trying ${next}`);
      continue;
    }
    try {
      const opts = sessionOptions(options, provider);
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, opts)
          : await ort.InferenceSession.create(model, opts);
      return { session, provider };
    } catch (error) {
      lastError = error;
      if (provider === 'cpu' || !isProviderUnavailable(error)) break;
      const next = providers[providers.indexOf(provider) + 1];
      if (next !== undefined)
        warn(`${provider} execution provider unavailable (${firstLine(messageOf(error))}); trying ${next}`);
    }
  }
  if (device !== 'cpu' && device !== 'auto' && isProviderUnavailable(lastError)) {
    throw new TlcError(
      'ORT_PROVIDER_UNAVAILABLE',
      `${source}: the ${device} execution provider is not available (${firstLine(messageOf(lastError))}). ` +
        (device === 'cuda'
          ? 'Install its libraries with `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`, '
          : '') +
        'or run with --device cpu (or allow the fallback).',
      { cause: lastError },
    );
  }
  throw new TlcError(
    'ORT_SESSION_FAILED',
    `${source}: ONNX Runtime cannot load the model: ${messageOf(lastError)}`,
    {
      cause: lastError,
    },
  );
}

/** Creates a session and returns it (see createSessionOn for devices and errors). */
export async function createSession(
  model: string | Uint8Array,
  options: SessionOptions = {},
): Promise<OrtSession> {
  return (await createSessionOn(model, options)).session;
}

/** ORT's messages when a provider's shared library or adapter is missing (not when the model is bad). */
function isProviderUnavailable(error: unknown): boolean {
  const m = messageOf(error);
  return /Failed to load shared library|backend not found|Failed to get a WebGPU adapter|No supported adapters|not available|libcudart|libcublas/i.test(
    m,
  );
}

/** The most telling line of an ORT error (the adapter or library failure when there is one). */
function firstLine(text: string): string {
  const telling =
    /(Failed to get a WebGPU adapter[^\n]*|Failed to load shared library[^\n]*|[^\n]*is not installed)/.exec(
      text,
    );
  return (telling?.[1] ?? text.split('\n')[0]!).slice(0, 200);
}

/**
 * Whether onnxruntime-node's CUDA provider library is present (it is downloaded by the package's install
 * script on GPU hosts, never shipped in the npm tarball). Checking first keeps ORT from printing a native
 * error on every CPU-only start.
 */
function cudaLibraryInstalled(): boolean {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('onnxruntime-node/package.json'));
  const dir = join(root, 'bin', 'napi-v6', process.platform, process.arch);
  return (
    existsSync(join(dir, 'libonnxruntime_providers_cuda.so')) ||
    existsSync(join(dir, 'onnxruntime_providers_cuda.dll'))
  );
}

/** Runs a session; ORT's failure becomes ORT_RUN_FAILED. */
export async function runSession(
  session: Pick<OrtSession, 'run'>,
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

/** The onnxruntime-node version in use (for reports that state what produced their numbers). */
export function ortVersion(): string {
  return ort.env.versions?.common ?? 'unknown';
}
