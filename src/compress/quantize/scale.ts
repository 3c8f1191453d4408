/**
 * Scales and zero points for linear quantization, `q = clamp(round(x / scale) + zeroPoint, qmin, qmax)` and
 * `x ≈ (q − zeroPoint) · scale`, following onnxruntime's `compute_scale_zp` (the range always includes 0, so
 * that 0 is exact; a zero range gets scale 1). Results are objects, never positional tuples.
 */

/** The integer range a quantized value may take. */
export interface QuantRange {
  readonly qmin: number;
  readonly qmax: number;
}

export interface QuantParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

export type QuantType = 'int8' | 'uint8';

export interface RangeOptions {
  /** Symmetric int8 uses [−127, 127] (not −128) so that +x and −x quantize alike, as onnxruntime does. */
  readonly symmetric?: boolean;
  /**
   * 7-bit range ([−64, 64] / [0, 127]): avoids the saturation of u8×s8 multiply-adds (VPMADDUBSW) on x86
   * CPUs without VNNI; costs one bit of precision.
   */
  readonly reduceRange?: boolean;
}

export function quantRange(type: QuantType, options: RangeOptions = {}): QuantRange {
  const reduce = options.reduceRange ?? false;
  switch (type) {
    case 'int8':
      if (reduce) return { qmin: -64, qmax: 64 };
      return options.symmetric ? { qmin: -127, qmax: 127 } : { qmin: -128, qmax: 127 };
    case 'uint8':
      return reduce ? { qmin: 0, qmax: 127 } : { qmin: 0, qmax: 255 };
    default: {
      const never: never = type;
      throw new TypeError(`unknown quantized type ${String(never)}`);
    }
  }
}

/** Unsigned n-bit range [0, 2^bits − 1]. */
export function unsignedRange(bits: number): QuantRange {
  return { qmin: 0, qmax: 2 ** bits - 1 };
}

/** Round half to even, as ONNX QuantizeLinear and numpy do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Asymmetric parameters for values in [min, max] (the range is widened to include 0). */
export function asymmetricParams(min: number, max: number, range: QuantRange): QuantParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = scaleOf(hi - lo, range.qmax - range.qmin);
  const zeroPoint = clamp(roundHalfEven(range.qmin - lo / scale), range.qmin, range.qmax);
  return { scale, zeroPoint };
}

/**
 * Symmetric parameters for values in [−absMax, absMax]: the zero point is the middle of the range (0 for
 * int8, 128 for uint8 and 8 for unsigned 4-bit, as MatMulNBits' default zero point expects).
 */
export function symmetricParams(absMax: number, range: QuantRange): QuantParams {
  const a = Math.abs(absMax);
  const half = Math.floor((range.qmax - range.qmin) / 2);
  const zeroPoint = range.qmin + Math.ceil((range.qmax - range.qmin) / 2);
  return { scale: scaleOf(a, half), zeroPoint };
}

/** Parameters for [min, max]: symmetric around zero or asymmetric. */
export function quantParams(min: number, max: number, range: QuantRange, symmetric: boolean): QuantParams {
  return symmetric
    ? symmetricParams(Math.max(Math.abs(min), Math.abs(max)), range)
    : asymmetricParams(min, max, range);
}

export function quantizeValue(x: number, params: QuantParams, range: QuantRange): number {
  return clamp(roundHalfEven(x / params.scale) + params.zeroPoint, range.qmin, range.qmax);
}

export function dequantizeValue(q: number, params: QuantParams): number {
  return (q - params.zeroPoint) * params.scale;
}

function scaleOf(span: number, steps: number): number {
  // float32, as the scale is stored; a zero span (all-zero weights) would give scale 0 and q = NaN.
  const s = Math.fround(span / steps);
  return s > 0 && Number.isFinite(s) ? s : 1;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
