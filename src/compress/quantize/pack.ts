/**
 * Bit packing as com.microsoft MatMulNBits reads it: unsigned values of `bits` bits (2, 4 or 8), packed
 * little-end first: for 4 bits the first value sits in the low nibble of a byte, the second in the high one.
 */

export type PackBits = 2 | 4 | 8;

/** Packs `values` (each in [0, 2^bits)) into ceil(n · bits / 8) bytes. */
export function packBits(values: ArrayLike<number>, bits: PackBits): Uint8Array {
  const perByte = 8 / bits;
  const out = new Uint8Array(Math.ceil(values.length / perByte));
  const mask = (1 << bits) - 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < 0 || v > mask)
      throw new RangeError(`${bits}-bit value out of range [0, ${mask}]: ${v} at ${i}`);
    out[Math.floor(i / perByte)]! |= v << ((i % perByte) * bits);
  }
  return out;
}

/** The inverse of packBits for `count` values. */
export function unpackBits(packed: Uint8Array, count: number, bits: PackBits): Uint8Array {
  const perByte = 8 / bits;
  if (packed.length < Math.ceil(count / perByte))
    throw new RangeError(`${packed.length} bytes hold fewer than ${count} ${bits}-bit values`);
  const mask = (1 << bits) - 1;
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++)
    out[i] = (packed[Math.floor(i / perByte)]! >> ((i % perByte) * bits)) & mask;
  return out;
}
