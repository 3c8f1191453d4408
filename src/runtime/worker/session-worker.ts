/**
 * A session worker: a worker thread that owns the ONNX Runtime sessions of one model variant and runs them
 * off the main thread (onnxruntime-node's `session.run` blocks its JavaScript thread for the whole run).
 * It answers one request at a time, in order; the main thread's batcher decides what goes into a request.
 * It stops only when asked (a `close` request): after answering every request it received before, it releases
 * its sessions and lets its event loop empty, so no run is ever cut off inside ONNX Runtime (protocol.ts).
 */
import { getPriority, setPriority } from 'node:os';
import { isTlcError, messageOf, TlcError } from '../../errors/index.js';
import {
  createSessionOn,
  type OrtSession,
  type OrtTensor,
  ortTensor,
  runSession,
} from '../../ort/session.js';
import { taskSpec } from '../../tasks/index.js';
import type { TaskSpec } from '../../tasks/spec.js';
import { wholeBuffers } from '../../tasks/transfer.js';
import { checkVariant } from '../fidelity.js';
import type {
  CloseRequest,
  InferRequest,
  InferResult,
  LoadRequest,
  LoadResult,
  TensorSignature,
  WireTensor,
  WorkerMessage,
  WorkRequest,
  WorkResult,
} from './protocol.js';
import { workerPort } from './worker-port.js';

const port = workerPort();

// Inference runs at a lower priority than the HTTP thread: on Linux a nice value is per thread, and the ONNX
// Runtime pool threads this worker's sessions start inherit it. Measured (2 shared cores, 12 light clients beside 3
// heavy ones): with the workers at the main thread's priority the main thread waited up to 663 ms per second for a
// CPU and liveness p99 was 108–174 ms; with the workers at nice +10, 45.6 ms. Raising one's own nice value needs no
// privilege; where the platform refuses, the worker runs as it is.
try {
  setPriority(0, Math.min(19, getPriority(0) + 10));
} catch {}

let sessions: OrtSession[] = [];
/** The load's session settings, for the fidelity probe's own sessions. */
let settings: { threads: number; device: LoadRequest['device'] } | undefined;
let task: TaskSpec | undefined;
/** Requests being answered; a close waits for them. */
const running = new Set<Promise<void>>();
let closing = false;

function signature(metadata: OrtSession['inputMetadata']): TensorSignature[] {
  return metadata.map((m) =>
    m.isTensor
      ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) }
      : { name: m.name, type: 'unknown', shape: [] },
  );
}

async function load(request: LoadRequest): Promise<LoadResult> {
  const warnings: string[] = [];
  const warn = (m: string) => warnings.push(m);
  task = taskSpec(request.task);
  settings = { threads: request.threads, device: request.device };
  const created = [];
  for (const [i, file] of request.files.entries()) {
    const model = task.worker.prepare(i, file);
    created.push(
      await createSessionOn(model, {
        threads: request.threads,
        device: request.device,
        fallbackToCpu: request.device !== 'cpu',
        warn,
        source: file,
      }),
    );
  }
  sessions = created.map((c) => c.session);
  // Preparing a graph (fill-mask's serving rewrite decodes and re-encodes the model in JavaScript) leaves garbage
  // of a few times the model's size in this thread's heap, which V8 would keep for a while after the load. Where
  // `tlc serve` exposes gc (it relaunches with --expose-gc), it goes now, before the worker serves: measured with
  // mlm-large, 30 reloads under load, RSS end ÷ first 1.17 with it, 1.42 without (`npm run bench:reload`).
  (globalThis as { gc?: () => void }).gc?.();
  return {
    provider: created[0]?.provider ?? 'cpu',
    signatures: sessions.map((s) => ({
      inputs: signature(s.inputMetadata),
      outputs: signature(s.outputMetadata),
    })),
    warnings,
  };
}

function toWire(t: OrtTensor): WireTensor {
  return { type: t.type as WireTensor['type'], data: t.data as WireTensor['data'], dims: [...t.dims] };
}

async function infer(request: InferRequest): Promise<InferResult> {
  const session = sessions[request.file]!;
  const feeds = Object.fromEntries(
    Object.entries(request.feeds).map(([name, t]) => [name, ortTensor(t.type, t.data, t.dims)]),
  );
  const out = await runSession(session, feeds, request.outputs);
  return { outputs: Object.fromEntries(Object.entries(out).map(([name, t]) => [name, toWire(t)])) };
}

/** The answer, and the buffers in it to move to the main thread rather than copy. */
async function handle(
  request: Exclude<WorkRequest, CloseRequest>,
): Promise<{ result: WorkResult; transfer: ArrayBuffer[] }> {
  switch (request.op) {
    case 'load':
      return { result: await load(request), transfer: [] };
    case 'run': {
      if (task === undefined) throw new Error('run before load');
      const result = await task.worker.run(sessions, request.payload);
      return { result, transfer: task.worker.transferables(result) };
    }
    case 'probe': {
      if (settings === undefined) throw new Error('probe before load');
      const { dir, entry, probe } = request;
      return { result: (await checkVariant(dir, entry, probe, settings)) ?? null, transfer: [] };
    }
    case 'infer': {
      const result = await infer(request);
      return { result, transfer: wholeBuffers(Object.values(result.outputs).map((t) => t.data)) };
    }
    default: {
      const never: never = request;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

function send(reply: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  try {
    port.post(reply, transfer);
    return;
  } catch {
    // Buffers that ORT owns natively may refuse to be transferred; copy them instead (below).
  }
  try {
    port.post(reply);
  } catch (error) {
    const message = `the answer could not be sent to the main thread: ${messageOf(error)}`;
    port.post({ id: reply.id, ok: false, code: 'INTERNAL', message } satisfies WorkerMessage);
  }
}

/** Answers one request; every failure (an ORT exception included) becomes an error answer, never a crash. */
async function answer(id: number, request: Exclude<WorkRequest, CloseRequest>): Promise<void> {
  const t0 = performance.now();
  try {
    if (closing) throw new TlcError('MODEL_NOT_READY', 'the session worker is stopping; retry');
    const { result, transfer } = await handle(request);
    send({ id, ok: true, result, seconds: (performance.now() - t0) / 1000 }, transfer);
  } catch (error) {
    send(
      isTlcError(error)
        ? { id, ok: false, code: error.code, message: error.message }
        : { id, ok: false, code: 'INTERNAL', message: messageOf(error) },
    );
  }
}

/** After every request received before the close is answered: release the sessions, answer, and let go. */
async function stop(id: number): Promise<void> {
  closing = true;
  await Promise.allSettled([...running]);
  const open = sessions;
  sessions = [];
  const released = await Promise.allSettled(open.map((session) => session.release()));
  const failed = released.find((r) => r.status === 'rejected');
  port.close(
    failed === undefined
      ? { id, ok: true, result: null, seconds: 0 }
      : {
          id,
          ok: false,
          code: 'INTERNAL',
          message: `releasing a session failed: ${messageOf(failed.reason)}`,
        },
  );
}

port.on((message) => {
  const { id, request } = message as { id: number; request: WorkRequest };
  if (request.op === 'close') {
    void stop(id);
    return;
  }
  const work = answer(id, request);
  running.add(work);
  void work.finally(() => running.delete(work));
});
