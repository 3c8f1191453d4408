/** KServe v2 tensors in JSON and TLC's wire tensors, converted both ways through one datatype table. */
import { TlcError } from '../errors/index.js';
import { fromFloat16Array, toFloat16Array } from '../onnx/float16.js';
import type { WireTensor } from '../runtime/worker/protocol.js';

export interface InferTensor {
  name: string;
  shape: number[];
  datatype: 'BOOL' | 'INT8' | 'UINT8' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'BYTES';
  data: unknown[];
  parameters?: Record<string, unknown>;
}

/**
 * The one table between KServe v2 datatypes and ONNX Runtime tensor types, used both ways: `decode` turns JSON
 * numbers into the typed array ORT takes, `encode` turns ORT's values back into JSON (FP16 travels as float16
 * bit patterns in a Uint16Array inside TLC, as numbers on the wire).
 */
interface V2Type {
  readonly v2: InferTensor['datatype'];
  readonly ort: WireTensor['type'];
  /** Integer types: the values they hold (anything else is refused, never truncated or wrapped). */
  readonly range?: readonly [number, number];
  decode?(values: readonly number[]): WireTensor['data'];
  encode?(data: WireTensor['data']): unknown[];
}

const V2_TYPES: readonly V2Type[] = [
  {
    v2: 'BOOL',
    ort: 'bool',
    range: [0, 1],
    decode: (v) => Uint8Array.from(v),
    encode: (d) => Array.from(d as Uint8Array, (x) => x !== 0),
  },
  { v2: 'INT8', ort: 'int8', range: [-128, 127], decode: (v) => Int8Array.from(v) },
  { v2: 'UINT8', ort: 'uint8', range: [0, 255], decode: (v) => Uint8Array.from(v) },
  { v2: 'INT32', ort: 'int32', range: [-(2 ** 31), 2 ** 31 - 1], decode: (v) => Int32Array.from(v) },
  {
    v2: 'INT64',
    ort: 'int64',
    // JSON numbers are doubles: integers beyond ±2^53 are not exact, so they are refused.
    range: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    decode: (v) => BigInt64Array.from(v, (x) => BigInt(x)),
    encode: (d) => Array.from(d as BigInt64Array, Number),
  },
  {
    v2: 'FP16',
    ort: 'float16',
    decode: (v) => toFloat16Array(v),
    encode: (d) => Array.from(fromFloat16Array(d as Uint16Array)),
  },
  { v2: 'FP32', ort: 'float32', decode: (v) => Float32Array.from(v) },
  { v2: 'BYTES', ort: 'string' },
];

const byV2 = new Map(V2_TYPES.map((t) => [t.v2, t]));
const byOrt = new Map(V2_TYPES.map((t) => [t.ort as string, t]));

export function flat(data: unknown[]): unknown[] {
  return data.flat(Number.POSITIVE_INFINITY as 1);
}

export function toWire(t: InferTensor): WireTensor {
  const type = byV2.get(t.datatype);
  if (type?.decode === undefined)
    throw new TlcError('INPUT_INVALID', `tensor "${t.name}": datatype ${t.datatype} is not supported here`);
  const values = flat(t.data);
  const size = t.shape.reduce((a, d) => a * d, 1);
  if (values.length !== size)
    throw new TlcError(
      'INPUT_INVALID',
      `tensor "${t.name}": shape [${t.shape.join(', ')}] needs ${size} values, got ${values.length}`,
    );
  const numbers = values.map((v) => Number(v));
  if (numbers.some((v) => !Number.isFinite(v)))
    throw new TlcError('INPUT_INVALID', `tensor "${t.name}": data must be numbers`);
  if (type.range !== undefined) {
    const [lo, hi] = type.range;
    const i = numbers.findIndex((v) => !Number.isInteger(v) || v < lo || v > hi);
    if (i >= 0)
      throw new TlcError(
        'INPUT_INVALID',
        `tensor "${t.name}": value ${String(values[i])} at ${i} is not a ${t.datatype} (integers ${lo} to ${hi})`,
      );
  }
  return { type: type.ort, data: type.decode(numbers), dims: t.shape };
}

/** A BYTES tensor's strings: exactly as many as its shape says. */
export function bytesValues(t: InferTensor): string[] {
  const values = flat(t.data);
  const size = Array.isArray(t.shape) ? t.shape.reduce((a, d) => a * d, 1) : Number.NaN;
  if (values.length !== size)
    throw new TlcError(
      'INPUT_INVALID',
      `tensor "${t.name}": shape [${String(t.shape)}] needs ${size} strings, got ${values.length}`,
    );
  return values.map(String);
}

export function fromWire(name: string, t: WireTensor): InferTensor {
  const type = byOrt.get(t.type);
  const data = type?.encode ? type.encode(t.data) : Array.from(t.data as ArrayLike<number | string>);
  return { name, shape: [...t.dims], datatype: type?.v2 ?? 'FP32', data };
}

/** The v2 datatype of an ORT type name (upper-cased when the table has none). */
export function v2Datatype(ort: string): string {
  return byOrt.get(ort)?.v2 ?? ort.toUpperCase();
}
