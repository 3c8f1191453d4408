/**
 * A session worker: a worker thread that owns the ONNX Runtime sessions of one model variant and runs them
 * off the main thread (onnxruntime-node's `session.run` blocks its JavaScript thread for the whole run).
 * It answers one request at a time, in order; the main thread's batcher decides what goes into a request.
 */
import { parentPort } from 'node:worker_threads';
import { isTlcError, messageOf } from '../../errors/index.js';
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
import type {
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

const port = parentPort;
if (port === null) throw new Error('session-worker.ts must run as a worker thread');

let sessions: OrtSession[] = [];
let task: TaskSpec | undefined;

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
async function handle(request: WorkRequest): Promise<{ result: WorkResult; transfer: ArrayBuffer[] }> {
  switch (request.op) {
    case 'load':
      return { result: await load(request), transfer: [] };
    case 'run': {
      if (task === undefined) throw new Error('run before load');
      const result = await task.worker.run(sessions, request.payload);
      return { result, transfer: task.worker.transferables(result) };
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

port.on('message', async (message: { id: number; request: WorkRequest }) => {
  const t0 = performance.now();
  let reply: WorkerMessage;
  try {
    const { result, transfer } = await handle(message.request);
    reply = { id: message.id, ok: true, result, seconds: (performance.now() - t0) / 1000 };
    try {
      port.postMessage(reply, transfer);
    } catch {
      // Buffers that ORT owns natively may refuse to be transferred; copy them instead.
      port.postMessage(reply);
    }
    return;
  } catch (error) {
    reply = isTlcError(error)
      ? { id: message.id, ok: false, code: error.code, message: error.message }
      : { id: message.id, ok: false, code: 'INTERNAL', message: messageOf(error) };
  }
  port.postMessage(reply);
});
