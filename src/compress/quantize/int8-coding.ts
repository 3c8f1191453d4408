/**
 * How int8 weights that feed an integer GEMM are coded, so that they are right on every kernel ONNX Runtime
 * picks for u8 activations × s8 weights.
 *
 * On x86 without VNNI (AVX2, and AVX-512 without VNNI), MLAS multiplies u8 activations by s8 weights with
 * VPMADDUBSW, which adds the two products of a byte pair into an int16 with saturation. MLAS packs B so that
 * the pair is two K-neighbours of one output column, rows (2j, 2j + 1) of the [K, N] weight (checked under an
 * emulated AVX2 CPU, test/compress/quantize/emulated-avx2.test.ts). With activations up to 255 a pair
 * saturates as soon as its same-signed codes add up to more than 128: 255 · 128 = 32640 ≤ 32767 < 255 · 129.
 * VNNI (VPDPBUSD), AMX and ARM's dot-product instructions add into int32 and never saturate.
 *
 * The codings (measured in docs/usage.md, "int8 on every CPU"):
 * - 'pair-bounded' (default): codes in [−127, 127], one scale per channel chosen so that every K-pair's
 *   same-signed codes add up to at most 128. Large weights keep 8-bit steps where their neighbour is small;
 *   a column whose two largest weights are neighbours gets a 7-bit step. Never saturates on MLAS's kernels.
 * - '7-bit': codes in [−64, 64] (ORT's reduce_range). Cannot saturate whatever the pairing; one bit less.
 * - 'full': codes in [−127, 127]. Exact on VNNI, AMX and ARM; on AVX2 and AVX-512 without VNNI the int16
 *   pair sums saturate and answers degrade (measured: the BERT fixture's top-1 agreement 0.98 → 0.81).
 */
import { TlcError } from '../../errors/index.js';

export type Int8WeightCoding = 'pair-bounded' | '7-bit' | 'full';

export const INT8_WEIGHT_CODINGS: readonly Int8WeightCoding[] = ['pair-bounded', '7-bit', 'full'];

/** The largest u8 activation code the kernels see (DynamicQuantizeLinear spans [0, 255]). */
export const MAX_ACTIVATION_CODE = 255;

/** The int16 range VPMADDUBSW saturates to. */
export const INT16_MAX = 32767;
export const INT16_MIN = -32768;

/** Most a same-signed K-pair of codes may add up to: ⌊32767 / 255⌋ = 128. */
export const PAIR_CODE_LIMIT = Math.floor(INT16_MAX / MAX_ACTIVATION_CODE);

export interface CodingLimits {
  /** Largest |code|. */
  readonly qmax: number;
  /** Largest same-signed sum of a K-pair of codes; undefined: no pair bound. */
  readonly pairLimit?: number;
}

export function codingLimits(coding: Int8WeightCoding): CodingLimits {
  switch (coding) {
    case 'pair-bounded':
      return { qmax: 127, pairLimit: PAIR_CODE_LIMIT };
    case '7-bit':
      return { qmax: 64 };
    case 'full':
      return { qmax: 127 };
    default: {
      const never: never = coding;
      throw new TypeError(`unknown int8 weight coding ${String(never)}`);
    }
  }
}

/** Validates a coding named by a user (CLI flag, recipe file). */
export function parseInt8Coding(text: string, where: string): Int8WeightCoding {
  if ((INT8_WEIGHT_CODINGS as readonly string[]).includes(text)) return text as Int8WeightCoding;
  throw new TlcError('CLI_USAGE', `${where} must be one of ${INT8_WEIGHT_CODINGS.join(', ')}, got "${text}"`);
}

/** Whether the kernels' int16 pair sums stay in range for every u8 activation pair: the worst pair's figures. */
export interface PairSaturation {
  /** Largest 255 · (same-signed code sum) over the K-pairs, positive side. */
  readonly worstPositive: number;
  /** Smallest (most negative) such sum. */
  readonly worstNegative: number;
  /** Number of K-pairs (column, j) whose worst case leaves the int16 range. */
  readonly saturatingPairs: number;
  readonly pairs: number;
}

/**
 * Exhaustive check of an int8 GEMM weight B [K, N] (row-major): for every column and every K-pair
 * (2j, 2j + 1), the extreme of a₁·b₁ + a₂·b₂ over all u8 activations a₁, a₂ ∈ [0, 255] is reached at a = 255 on
 * the same-signed codes and 0 on the others, so the pair is safe exactly when those extremes lie in int16.
 * An odd K's last row pairs with the zero padding MLAS adds.
 */
export function pairSaturation(codes: Int8Array, k: number, n: number): PairSaturation {
  if (codes.length !== k * n) throw new RangeError(`${codes.length} codes do not make a [${k}, ${n}] matrix`);
  let worstPositive = 0;
  let worstNegative = 0;
  let saturatingPairs = 0;
  let pairs = 0;
  for (let r = 0; r < k; r += 2) {
    for (let c = 0; c < n; c++) {
      const b1 = codes[r * n + c]!;
      const b2 = r + 1 < k ? codes[(r + 1) * n + c]! : 0;
      const pos = MAX_ACTIVATION_CODE * (Math.max(b1, 0) + Math.max(b2, 0));
      const neg = MAX_ACTIVATION_CODE * (Math.min(b1, 0) + Math.min(b2, 0));
      if (pos > worstPositive) worstPositive = pos;
      if (neg < worstNegative) worstNegative = neg;
      if (pos > INT16_MAX || neg < INT16_MIN) saturatingPairs++;
      pairs++;
    }
  }
  return { worstPositive, worstNegative, saturatingPairs, pairs };
}
