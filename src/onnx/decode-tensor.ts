/** Protobuf tensors (dense, sparse, external) → TLC tensors. */

import { TlcError } from '../errors/index.js';
import {
  type DecodeContext,
  type ExternalDataRef,
  has,
  invalid,
  metadataOf,
  optionalStrings,
} from './decode-context.js';
import { DataType, dataTypeInfo, isKnownDataType, numel } from './dtype.js';
import type { SparseTensor, Tensor, TensorData } from './ir.js';
import { int64ToBigInt, int64ToNumber, type PSparseTensor, type PTensor } from './proto/codec.js';
import { allocateStorage, dataFromBytes, storageLength } from './tensor.js';

function externalRef(t: PTensor, ctx: DecodeContext, name: string): ExternalDataRef {
  const entries = new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (location === undefined || location === '')
    invalid(ctx, `tensor "${name}" is external but has no location`);
  const num = (key: string): number | undefined => {
    const raw = entries.get(key);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0)
      invalid(ctx, `tensor "${name}": external data ${key} "${raw}" is not a byte count`);
    return n;
  };
  const length = num('length');
  return length === undefined
    ? { location, offset: num('offset') ?? 0 }
    : { location, offset: num('offset') ?? 0, length };
}

function typedFieldData(
  t: PTensor,
  dataType: DataType,
  dims: readonly number[],
  name: string,
  ctx: DecodeContext,
): TensorData {
  const info = dataTypeInfo(dataType);
  const count = numel(dims);
  const field = info.protoField;
  const values = (t as Record<string, unknown>)[field] as unknown[] | undefined;
  const present = values !== undefined && values.length > 0;
  if (!present) {
    if (count === 0) return info.storage === 'string' ? [] : allocateStorage(info.storage, 0);
    invalid(ctx, `tensor "${name}" (${info.name}${JSON.stringify(dims)}) has no data`);
  }
  switch (field) {
    case 'string_data':
      return (values as Uint8Array[]).map((s) => Uint8Array.from(s));
    case 'float_data':
      return Float32Array.from(values as number[]);
    case 'double_data':
      return Float64Array.from(values as number[]);
    case 'int64_data':
      return BigInt64Array.from(t.int64_data ?? [], (v) => BigInt.asIntN(64, int64ToBigInt(v)));
    case 'uint64_data': {
      const big = (t.uint64_data ?? []).map((v) => BigInt.asUintN(64, int64ToBigInt(v)));
      return info.storage === 'uint32' ? Uint32Array.from(big, Number) : BigUint64Array.from(big);
    }
    case 'int32_data': {
      const ints = values as number[];
      const length = storageLength(dataType, dims);
      if (ints.length !== length) {
        invalid(ctx, `tensor "${name}" has ${ints.length} int32_data entries, ${length} expected`);
      }
      const out = allocateStorage(info.storage === 'string' ? 'uint8' : info.storage, length);
      // Typed-array stores truncate to the storage width, which is what int32_data means for narrow types
      // (and for packed 4/2-bit types each entry holds one packed byte).
      (out as Int32Array).set(info.bits < 8 ? ints.map((v) => v & 0xff) : ints);
      return out;
    }
    default: {
      const never: never = field;
      throw new Error(`unhandled proto field ${String(never)}`);
    }
  }
}

export function decodeTensor(t: PTensor, ctx: DecodeContext): Tensor {
  const name = t.name ?? '';
  const code = t.data_type ?? 0;
  if (!isKnownDataType(code) || code === DataType.UNDEFINED) {
    throw new TlcError('ONNX_UNSUPPORTED', `${ctx.source}: tensor "${name}" has unknown data type ${code}`);
  }
  const dims = (t.dims ?? []).map((d) => int64ToNumber(d, `tensor "${name}" dimension`));
  if (dims.some((d) => d < 0))
    invalid(ctx, `tensor "${name}" has a negative dimension ${JSON.stringify(dims)}`);
  const isExternal = t.data_location === 1 || (t.external_data !== undefined && t.external_data.length > 0);
  let data: TensorData;
  try {
    if (isExternal) {
      if (code === DataType.STRING) invalid(ctx, `STRING tensor "${name}" cannot use external data`);
      const ref = externalRef(t, ctx, name);
      if (ctx.readExternal === undefined) {
        throw new TlcError(
          'ONNX_EXTERNAL_DATA',
          `${ctx.source}: tensor "${name}" is stored in "${ref.location}"; load the model from its file path so the data can be found`,
        );
      }
      data = dataFromBytes(code, dims, ctx.readExternal(ref, name), name, true);
    } else if (has(t, 'raw_data') && t.raw_data !== undefined && code !== DataType.STRING) {
      data = dataFromBytes(code, dims, t.raw_data, name);
    } else {
      data = typedFieldData(t, code, dims, name, ctx);
    }
  } catch (error) {
    if (error instanceof RangeError) invalid(ctx, error.message);
    throw error;
  }
  const extra = optionalStrings(t, { docString: 'doc_string' });
  const metadata = metadataOf(t.metadata_props);
  return { name, dataType: code, dims, data, ...extra, ...(metadata && { metadata }) };
}

export function decodeSparse(s: PSparseTensor, ctx: DecodeContext): SparseTensor {
  if (s.values == null || s.indices == null) invalid(ctx, 'a sparse tensor lacks values or indices');
  return {
    values: decodeTensor(s.values, ctx),
    indices: decodeTensor(s.indices, ctx),
    dims: (s.dims ?? []).map((d) => int64ToNumber(d, 'sparse tensor dimension')),
  };
}
