/** Reading and writing .onnx files and bytes, external data included. */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import { decodeModelMessage } from './decode.js';
import type { DecodeContext } from './decode-context.js';
import { type ExternalPlacement, encodeModelMessage } from './encode.js';
import { defaultExternalLocation, ExternalDataFiles, ExternalDataWriter } from './external-data.js';
import type { Model } from './ir.js';
import { decodeModelProto, encodeModelProto } from './proto/codec.js';
import { tensorByteLength } from './tensor.js';
import { walkGraphs } from './traverse.js';

/** Protobuf messages cannot exceed 2 GiB; keep a margin for the graph structure itself. */
export const INLINE_LIMIT_BYTES = 2 ** 31 - 64 * 2 ** 20;

export interface DecodeOptions {
  /** Named in error messages (a file name or a description). */
  readonly source?: string;
  /** Folder that external data locations are relative to; without it, external tensors are an error. */
  readonly baseDir?: string;
}

/** Decodes ONNX bytes into the in-memory model. */
export function decodeModel(bytes: Uint8Array, options: DecodeOptions = {}): Model {
  const source = options.source ?? '<bytes>';
  let message: ReturnType<typeof decodeModelProto>;
  try {
    message = decodeModelProto(bytes);
  } catch (error) {
    throw new TlcError(
      'ONNX_DECODE_FAILED',
      `${source}: not a valid ONNX model (protobuf: ${messageOf(error)})`,
      {
        cause: error,
      },
    );
  }
  const files = options.baseDir === undefined ? undefined : new ExternalDataFiles(options.baseDir, source);
  try {
    const ctx: DecodeContext = files === undefined ? { source } : { source, readExternal: files.read };
    return decodeModelMessage(message, ctx);
  } catch (error) {
    if (error instanceof TlcError) throw error;
    throw new TlcError('ONNX_INVALID_MODEL', `${source}: ${messageOf(error)}`, { cause: error });
  } finally {
    files?.close();
  }
}

/** Loads an .onnx file; external data is read from beside it. */
export function loadModel(path: string): Model {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new TlcError('ONNX_READ_FAILED', `${path}: cannot read the model file (${messageOf(error)})`, {
      cause: error,
    });
  }
  return decodeModel(bytes, { source: path, baseDir: dirname(path) });
}

/** Sum of the bytes of every tensor in the model (initializers, sparse initializers, tensor attributes). */
export function tensorDataBytes(model: Model): number {
  let total = 0;
  walkGraphs(model.graph, (graph) => {
    for (const t of graph.initializers.values()) total += tensorByteLength(t);
    for (const s of graph.sparseInitializers)
      total += tensorByteLength(s.values) + tensorByteLength(s.indices);
    for (const node of graph.nodes) {
      for (const a of Object.values(node.attributes)) {
        if (a.type === 'TENSOR') total += tensorByteLength(a.value);
        else if (a.type === 'TENSORS') for (const t of a.value) total += tensorByteLength(t);
      }
    }
  });
  return total;
}

/** Encodes a model into one protobuf buffer (all data inline). */
export function encodeModel(model: Model): Uint8Array {
  const size = tensorDataBytes(model);
  if (size > INLINE_LIMIT_BYTES) {
    throw new TlcError(
      'ONNX_WRITE_FAILED',
      `the model holds ${(size / 2 ** 30).toFixed(2)} GiB of tensors, over the 2 GiB protobuf limit; save it to a file with external data`,
    );
  }
  try {
    return encodeModelProto(encodeModelMessage(model));
  } catch (error) {
    throw new TlcError('ONNX_WRITE_FAILED', `cannot encode the model: ${messageOf(error)}`, { cause: error });
  }
}

export interface SaveOptions {
  /**
   * Where initializer bytes go. 'auto' (default): inline unless the model is over the 2 GiB protobuf limit.
   * true: initializers of at least `threshold` bytes go to one side file.
   */
  readonly externalData?: boolean | 'auto';
  /** Side-file name, relative to the model's folder (default `<file>_data`). */
  readonly location?: string;
  /** Smallest initializer (bytes) moved to external data (default 1024, as the onnx package does). */
  readonly threshold?: number;
}

export interface SaveResult {
  readonly path: string;
  readonly bytes: number;
  readonly externalData?: { readonly path: string; readonly bytes: number; readonly tensors: number };
}

function writeAtomically(path: string, write: (tmp: string) => void): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    write(tmp);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    if (error instanceof TlcError) throw error;
    throw new TlcError('ONNX_WRITE_FAILED', `${path}: cannot write (${messageOf(error)})`, { cause: error });
  }
}

/** Saves a model to a file, atomically (a crash never leaves a half-written model behind). */
export function saveModel(model: Model, path: string, options: SaveOptions = {}): SaveResult {
  const mode = options.externalData ?? 'auto';
  const external = mode === true || (mode === 'auto' && tensorDataBytes(model) > INLINE_LIMIT_BYTES);
  if (!external) {
    const bytes = encodeModel(model);
    writeAtomically(path, (tmp) => writeFileSync(tmp, bytes));
    return { path, bytes: bytes.byteLength };
  }
  const location = options.location ?? defaultExternalLocation(basename(path));
  const threshold = options.threshold ?? 1024;
  const dataPath = join(dirname(path), location);
  let result: SaveResult | undefined;
  writeAtomically(dataPath, (dataTmp) => {
    const fd = openSync(dataTmp, 'w');
    let bytes: Uint8Array;
    let writer: ExternalDataWriter;
    try {
      writer = new ExternalDataWriter(fd, location);
      const place: ExternalPlacement = (t) =>
        !Array.isArray(t.data) && tensorByteLength(t) >= threshold ? writer.write(t) : undefined;
      bytes = encodeModelProto(encodeModelMessage(model, place));
    } finally {
      closeSync(fd);
    }
    writeAtomically(path, (tmp) => writeFileSync(tmp, bytes));
    result = {
      path,
      bytes: bytes.byteLength,
      externalData: { path: dataPath, bytes: writer.bytesWritten, tensors: writer.tensorsWritten },
    };
  });
  return result!;
}
