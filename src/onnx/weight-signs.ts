/**
 * A weight's signs, element by element, whatever its storage: float32, float16/bfloat16, int8 codes, uint8 codes
 * with a zero point, MatMulNBits' packed 4/8-bit blocks. Counting parameters compares an embedding table with a
 * tied copy of it that the compressor stored differently (the table int8 for Gather, the head 4-bit for
 * MatMulNBits, or one of them left float): their values differ by rounding, their signs do not, while two
 * independently trained matrices agree on about half of them.
 */
import { getInt } from './attributes.js';
import { DataType, numel } from './dtype.js';
import type { Node, Tensor } from './ir.js';

/** A weight as the matrix its consumer multiplies with: `rows × cols`, with the sign of each element. */
export interface SignView {
  readonly rows: number;
  readonly cols: number;
  /** -1, 0 or 1. */
  readonly sign: (row: number, col: number) => number;
  /** The exact value where the storage is float32 (a float table and its float copy must match exactly). */
  readonly value?: (row: number, col: number) => number;
}

const f16Sign = (bits: number) => ((bits & 0x7fff) === 0 ? 0 : bits & 0x8000 ? -1 : 1);

/** The zero point of a DequantizeLinear's per-tensor codes (0 when none, or per-axis, which TLC never writes). */
function scalarZeroPoint(zero: Tensor | undefined): number {
  if (zero === undefined || numel(zero.dims) !== 1) return 0;
  return Number((zero.data as ArrayLike<number>)[0] ?? 0);
}

/** Signs of a 2-D tensor stored element by element. */
function plainView(t: Tensor, zeroPoint: number): SignView | undefined {
  if (t.dims.length !== 2) return undefined;
  const [rows, cols] = t.dims as [number, number];
  const at = (r: number, c: number) => r * cols + c;
  switch (t.dataType) {
    case DataType.FLOAT: {
      const d = t.data as Float32Array;
      return { rows, cols, sign: (r, c) => Math.sign(d[at(r, c)]!), value: (r, c) => d[at(r, c)]! };
    }
    case DataType.FLOAT16:
    case DataType.BFLOAT16: {
      const d = t.data as Uint16Array;
      return { rows, cols, sign: (r, c) => f16Sign(d[at(r, c)]!) };
    }
    case DataType.INT8:
    case DataType.UINT8: {
      const d = t.data as Int8Array | Uint8Array;
      return { rows, cols, sign: (r, c) => Math.sign(d[at(r, c)]! - zeroPoint) };
    }
    default:
      return undefined;
  }
}

/**
 * MatMulNBits' B ([N, blocks, blob]: column n's K codes, block by block, low nibble first) as the [K, N] matrix it
 * stands for; a code's sign is relative to its block's zero point (packed like the codes; default 2^(bits−1)).
 */
function nbitsView(node: Node, b: Tensor, zeroPoints: Tensor | undefined): SignView | undefined {
  const k = getInt(node, 'K', 0);
  const n = getInt(node, 'N', 0);
  const bits = getInt(node, 'bits', 4);
  const block = getInt(node, 'block_size', 0);
  if (k < 1 || n < 1 || block < 1 || (bits !== 4 && bits !== 8) || b.dataType !== DataType.UINT8)
    return undefined;
  if (zeroPoints !== undefined && zeroPoints.dataType !== DataType.UINT8) return undefined;
  const blocks = Math.ceil(k / block);
  const blob = (block * bits) / 8;
  const codes = b.data as Uint8Array;
  const zeros = zeroPoints?.data as Uint8Array | undefined;
  const perRow = bits === 4 ? Math.ceil(blocks / 2) : blocks;
  const code = (bytes: Uint8Array, index: number) =>
    bits === 8 ? bytes[index]! : (bytes[index >> 1]! >> ((index & 1) * 4)) & 15;
  const sign = (row: number, col: number) => {
    const blk = Math.floor(row / block);
    const within = row % block;
    const base = (col * blocks + blk) * blob * (8 / bits);
    const zero = zeros === undefined ? 2 ** (bits - 1) : code(zeros, col * perRow * (8 / bits) + blk);
    return Math.sign(code(codes, base + within) - zero);
  };
  return { rows: k, cols: n, sign };
}

/**
 * The signs of `tensor` as read at input `index` of `node` (its first reader), with `constant` resolving the
 * node's other constant inputs; undefined for a storage this does not read.
 */
export function signView(
  tensor: Tensor,
  reader: { readonly node: Node; readonly index: number } | undefined,
  constant: (name: string) => Tensor | undefined,
): SignView | undefined {
  const input = (i: number) => {
    const name = reader?.node.inputs[i];
    return name ? constant(name) : undefined;
  };
  if (reader?.node.opType === 'MatMulNBits' && reader.index === 1)
    return nbitsView(reader.node, tensor, input(3));
  const zero =
    reader?.node.opType === 'DequantizeLinear' && reader.index === 0 ? scalarZeroPoint(input(2)) : 0;
  return plainView(tensor, zero);
}

/** Whether two views hold the same matrix (or one the other's transpose): exact for float32, else by signs. */
export function sameWeight(a: SignView, b: SignView): 'straight' | 'transposed' | undefined {
  const samples = Math.min(512, a.rows * a.cols);
  const step = Math.max(1, Math.floor((a.rows * a.cols) / samples));
  const agree = (transposed: boolean) => {
    if (transposed ? b.rows !== a.cols || b.cols !== a.rows : b.rows !== a.rows || b.cols !== a.cols)
      return false;
    let compared = 0;
    let same = 0;
    for (let p = 0; p < a.rows * a.cols; p += step) {
      const [r, c] = [Math.floor(p / a.cols), p % a.cols];
      const [br, bc] = transposed ? [c, r] : [r, c];
      if (a.value && b.value) {
        if (a.value(r, c) !== b.value(br, bc)) return false;
        continue;
      }
      const [sa, sb] = [a.sign(r, c), b.sign(br, bc)];
      if (sa === 0 || sb === 0) continue; // rounded to zero in one storage: says nothing
      compared += 1;
      if (sa === sb) same += 1;
    }
    // Independent matrices agree on about half the signs; rounding flips none that are not near zero.
    return a.value && b.value ? true : compared >= 32 && same >= 0.9 * compared;
  };
  if (agree(false)) return 'straight';
  return agree(true) ? 'transposed' : undefined;
}
