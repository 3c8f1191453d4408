/**
 * A session worker: a worker thread that owns the ONNX Runtime sessions of one model variant and runs them
 * off the main thread (onnxruntime-node's `session.run` blocks its JavaScript thread for the whole run).
 * It answers one request at a time, in order; the main thread's batcher decides what goes into a request.
 */
import { parentPort } from 'node:worker_threads';
import { isTlcError, messageOf } from '../../errors/index.js';
import { encodeModel, loadModel } from '../../onnx/io.js';
import {
  createSessionOn,
  type OrtSession,
  type OrtTensor,
  ortTensor,
  runSession,
} from '../../ort/session.js';
import {
  FILL_MASK_INPUTS,
  FILL_MASK_OUTPUTS,
  fillMaskServingGraph,
} from '../../tasks/fill-mask/fill-mask-graph.js';
import { translateIds } from '../../tasks/translation/translate.js';
import type {
  FillMaskRequest,
  FillMaskResult,
  InferRequest,
  InferResult,
  LoadRequest,
  LoadResult,
  TensorSignature,
  TranslateResult,
  TranslateWorkRequest,
  WireTensor,
  WorkerMessage,
  WorkRequest,
  WorkResult,
} from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('session-worker.ts must run as a worker thread');

let sessions: OrtSession[] = [];
let kind: LoadRequest['kind'] = 'fill-mask';

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
  kind = request.kind;
  const created = [];
  for (const [i, file] of request.files.entries()) {
    // The fill-mask file is served with top-k in the graph and its head on the masked rows; the others run as
    // written.
    const model = kind === 'fill-mask' && i === 0 ? encodeModel(fillMaskServingGraph(loadModel(file))) : file;
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

async function fillMask(request: FillMaskRequest): Promise<FillMaskResult> {
  const [b, s] = request.dims;
  const out = await runSession(sessions[0]!, {
    input_ids: ortTensor('int64', request.ids, [b, s]),
    attention_mask: ortTensor('int64', request.mask, [b, s]),
    [FILL_MASK_INPUTS.rows]: ortTensor('int64', request.rows, [request.rows.length]),
    [FILL_MASK_INPUTS.topK]: ortTensor('int64', BigInt64Array.of(BigInt(request.topK)), [1]),
  });
  const scores = out[FILL_MASK_OUTPUTS.scores]!;
  return {
    scores: scores.data as Float32Array,
    ids: out[FILL_MASK_OUTPUTS.ids]!.data as BigInt64Array,
    k: scores.dims[1] ?? 0,
  };
}

async function translate(request: TranslateWorkRequest): Promise<TranslateResult> {
  const [encoder, decoder, decoderWithPast] = sessions;
  const outputs = await translateIds(
    { encoder: encoder!, decoder: decoder!, decoderWithPast: decoderWithPast! },
    request.sources,
    {
      bos: request.bos,
      eos: request.eos,
      pad: request.pad,
      decoderStart: request.decoderStart,
      maxNewTokens: request.maxNewTokens,
      numBeams: request.numBeams,
      lengthPenalty: request.lengthPenalty,
    },
  );
  return { outputs };
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

async function handle(request: WorkRequest): Promise<WorkResult> {
  switch (request.op) {
    case 'load':
      return load(request);
    case 'fill-mask':
      return fillMask(request);
    case 'translate':
      return translate(request);
    case 'infer':
      return infer(request);
    default: {
      const never: never = request;
      throw new Error(`unknown request ${JSON.stringify(never)}`);
    }
  }
}

/** Buffers of the result to transfer rather than copy. */
function transferables(result: WorkResult): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  const add = (data: unknown) => {
    if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer && data.byteOffset === 0)
      if (data.byteLength === data.buffer.byteLength && !buffers.includes(data.buffer))
        buffers.push(data.buffer);
  };
  if ('scores' in result) {
    add(result.scores);
    add(result.ids);
  } else if ('outputs' in result && Array.isArray(result.outputs)) {
    for (const o of result.outputs) add(o);
  } else if ('outputs' in result) {
    for (const t of Object.values(result.outputs)) add(t.data);
  }
  return buffers;
}

port.on('message', async (message: { id: number; request: WorkRequest }) => {
  const t0 = performance.now();
  let reply: WorkerMessage;
  try {
    const result = await handle(message.request);
    reply = { id: message.id, ok: true, result, seconds: (performance.now() - t0) / 1000 };
    try {
      port.postMessage(reply, transferables(result));
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
