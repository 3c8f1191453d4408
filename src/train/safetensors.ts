/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header (name → dtype, shape, byte
 * offsets; plus string metadata under "__metadata__"), then the raw little-endian tensor bytes.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import { DataType } from '../onnx/dtype.js';
import type { Tensor } from '../onnx/ir.js';
import { dataFromBytes, tensorBytes } from '../onnx/tensor.js';

const DTYPES: ReadonlyMap<DataType, string> = new Map<DataType, string>([
  [DataType.DOUBLE, 'F64'],
  [DataType.FLOAT, 'F32'],
  [DataType.FLOAT16, 'F16'],
  [DataType.BFLOAT16, 'BF16'],
  [DataType.INT64, 'I64'],
  [DataType.INT32, 'I32'],
  [DataType.INT16, 'I16'],
  [DataType.INT8, 'I8'],
  [DataType.UINT64, 'U64'],
  [DataType.UINT32, 'U32'],
  [DataType.UINT16, 'U16'],
  [DataType.UINT8, 'U8'],
  [DataType.BOOL, 'BOOL'],
]);
const BY_NAME = new Map([...DTYPES].map(([k, v]) => [v, k]));

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsFile {
  readonly tensors: Map<string, Tensor>;
  readonly metadata: Record<string, string>;
}

/** Writes tensors and string metadata atomically. */
export function writeSafetensors(
  path: string,
  tensors: Iterable<Tensor>,
  metadata: Record<string, string> = {},
): number {
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const dtype = DTYPES.get(t.dataType);
    if (dtype === undefined)
      throw new TlcError(
        'CHECKPOINT_FAILED',
        `safetensors cannot store tensor "${t.name}" of type ${t.dataType}`,
      );
    const bytes = tensorBytes(t);
    header[t.name] = { dtype, shape: [...t.dims], data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keeps the data 8-byte aligned
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)), 0);
  head.write(json, 8, 'utf8');
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, head);
      for (const p of parts) {
        let done = 0;
        while (done < p.byteLength) done += writeSync(fd, p, done, Math.min(p.byteLength - done, 1 << 30));
      }
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new TlcError('CHECKPOINT_FAILED', `${path}: cannot write (${messageOf(error)})`, { cause: error });
  }
  return head.byteLength + offset;
}

export function readSafetensors(path: string): SafetensorsFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new TlcError('CHECKPOINT_FAILED', `${path}: cannot read (${messageOf(error)})`, { cause: error });
  }
  const bad = (why: string): never => {
    throw new TlcError('CHECKPOINT_FAILED', `${path}: not a valid safetensors file (${why})`);
  };
  if (bytes.byteLength < 8) bad('too short');
  const size = Number(bytes.readBigUInt64LE(0));
  if (size > bytes.byteLength - 8) bad('header longer than the file');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.toString('utf8', 8, 8 + size)) as Record<string, unknown>;
  } catch (error) {
    return bad(`header is not JSON: ${messageOf(error)}`);
  }
  const data = bytes.subarray(8 + size);
  const tensors = new Map<string, Tensor>();
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = raw as HeaderEntry;
    const dataType = BY_NAME.get(e.dtype);
    if (dataType === undefined) bad(`tensor "${name}" has unsupported dtype ${e.dtype}`);
    const [begin, end] = e.data_offsets;
    if (!(begin >= 0 && end >= begin && end <= data.byteLength))
      bad(`tensor "${name}" points outside the data`);
    tensors.set(name, {
      name,
      dataType: dataType!,
      dims: e.shape,
      data: dataFromBytes(dataType!, e.shape, data.subarray(begin, end), name),
    });
  }
  return { tensors, metadata };
}
