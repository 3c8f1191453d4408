/** Option types of the quantization passes (validated once, in each pass's entry point). */
import type { QuantizeCommonOptions } from './driver.js';
import type { Int8WeightCoding } from './int8-coding.js';

/**
 * How a quantized embedding table is read (see docs in dynamic-int8.ts for the measurements):
 * - 'gather-dequantize': Gather the int8 rows and their scales, then Cast and Mul (work per looked-up row);
 * - 'dequantize-gather': DequantizeLinear of the whole table, then Gather (ORT does not constant-fold it, so
 *   the whole table is dequantized on every run).
 */
export type EmbeddingLayout = 'gather-dequantize' | 'dequantize-gather';

export interface DynamicInt8Options extends QuantizeCommonOptions {
  /**
   * How the int8 weights of MatMul/Gemm are coded (int8-coding.ts): 'pair-bounded' (default) is right on
   * every CPU; 'full' saturates on x86 without VNNI. Tables only gathered from are always full 8-bit.
   */
  readonly weights?: Int8WeightCoding;
  /** Give DynamicQuantizeMatMul an explicit int8 zero-point input of zeros (default false: omitted, same result). */
  readonly weightZeroPoint?: boolean;
  /** Fold `MatMul → Add(constant bias [N])` into DynamicQuantizeMatMul's bias input (default true). */
  readonly foldBias?: boolean;
  /** Quantize Gather embedding tables too (default true). */
  readonly embeddings?: boolean;
  readonly embeddingLayout?: EmbeddingLayout;
}

/** A value's calibrated range. */
export interface TensorRange {
  readonly min: number;
  readonly max: number;
}

export type Ranges = ReadonlyMap<string, TensorRange>;

export interface StaticQdqOptions extends QuantizeCommonOptions {
  /** Calibrated ranges of the activations (calibrate.ts); a MatMul whose input has none is declined. */
  readonly ranges: Ranges;
  /** Activations: 'uint8' asymmetric (default) or 'int8' symmetric. Weights are always int8 per channel. */
  readonly activationType?: 'uint8' | 'int8';
  /** How the int8 weights are coded (default 'pair-bounded', as for dynamic int8). */
  readonly weights?: Int8WeightCoding;
}

export interface WeightOnlyNBitsOptions extends QuantizeCommonOptions {
  /** 4 (default) or 8. ORT 1.30's CPU kernel also takes 2; 3, 5, 6 and 7 are refused. */
  readonly bits?: 4 | 8;
  /** Block size along K: a power of two ≥ 16 (default 32). */
  readonly blockSize?: number;
  /** Symmetric blocks without a zero-point input (default true); false stores a packed zero point per block. */
  readonly symmetric?: boolean;
  /**
   * MatMulNBits accuracy_level (default 4): 0 = compute in fp32 from the dequantized weight (exact to the
   * quantized weight), 4 = also quantize A to int8 per block (the fast MLAS path; ≈0.5% relative error).
   */
  readonly accuracyLevel?: 0 | 1 | 2 | 3 | 4;
  /** Fold `MatMul → Add(constant bias [N])` into MatMulNBits' bias input (default true). */
  readonly foldBias?: boolean;
}

export interface Float16Options {
  /** Op types kept in fp32, with Casts around them (default: FP32_OPS in registry.ts). */
  readonly keepFp32Ops?: readonly string[];
  /** Also keep decomposed LayerNorm chains (ReduceMean → Sub → Pow → ReduceMean → Add → Sqrt → Div) in fp32 (default true). */
  readonly keepDecomposedLayerNorm?: boolean;
  /** Keep the model's float32 inputs and outputs, casting at the boundary (default true). */
  readonly keepIoTypes?: boolean;
  /** Node names kept in fp32 (glob or RegExp), besides the op types. */
  readonly keepFp32Nodes?: readonly (string | RegExp)[];
}
