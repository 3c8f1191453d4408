/**
 * Packing of 4-bit integers as ONNX stores them (INT4 / UINT4, IR 10): two elements per byte, the first
 * element in the low nibble; an odd count leaves the last high nibble zero.
 */

export function packInt4(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < -8 || v > 7)
      throw new RangeError(`int4 value out of range [-8, 7]: ${v} at ${i}`);
    const nibble = v & 0x0f;
    out[i >> 1]! |= i & 1 ? nibble << 4 : nibble;
  }
  return out;
}

export function unpackInt4(packed: Uint8Array, count: number): Int8Array {
  checkPackedLength(packed, count);
  const out = new Int8Array(count);
  for (let i = 0; i < count; i++) {
    const nibble = (packed[i >> 1]! >> ((i & 1) * 4)) & 0x0f;
    out[i] = nibble >= 8 ? nibble - 16 : nibble;
  }
  return out;
}

export function packUint4(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 15)
      throw new RangeError(`uint4 value out of range [0, 15]: ${v} at ${i}`);
    out[i >> 1]! |= i & 1 ? v << 4 : v;
  }
  return out;
}

export function unpackUint4(packed: Uint8Array, count: number): Uint8Array {
  checkPackedLength(packed, count);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (packed[i >> 1]! >> ((i & 1) * 4)) & 0x0f;
  return out;
}

function checkPackedLength(packed: Uint8Array, count: number): void {
  if (packed.length !== Math.ceil(count / 2)) {
    throw new RangeError(
      `packed 4-bit data has ${packed.length} bytes, ${Math.ceil(count / 2)} expected for ${count} values`,
    );
  }
}
