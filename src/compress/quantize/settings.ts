/**
 * Options checked once, at each pass's entry, into settings with every default filled in; handlers receive
 * the settings. Bad values throw CONFIG_INVALID (a caller's mistake, not something a pass can decline).
 */
import { TlcError } from '../../errors/index.js';
import type { QuantizeCommonOptions } from './driver.js';
import type { ActivationQuant } from './emit.js';
import { INT8_WEIGHT_CODINGS, type Int8WeightCoding } from './int8-coding.js';
import type {
  DynamicInt8Options,
  EmbeddingLayout,
  Ranges,
  StaticQdqOptions,
  WeightOnlyNBitsOptions,
} from './options.js';
import type { PackBits } from './pack.js';
import { asymmetricParams, type QuantRange, quantRange, symmetricParams } from './scale.js';

export interface DynamicInt8Settings extends QuantizeCommonOptions {
  /** Coding of weights read by an integer GEMM (and of tables shared with one). */
  readonly weightCoding: Int8WeightCoding;
  readonly weightZeroPoint: boolean;
  readonly foldBias: boolean;
  readonly embeddings: boolean;
  readonly embeddingLayout: EmbeddingLayout;
}

export interface StaticQdqSettings extends QuantizeCommonOptions {
  readonly ranges: Ranges;
  readonly activationType: 'uint8' | 'int8';
  readonly activationRange: QuantRange;
  readonly weightCoding: Int8WeightCoding;
}

export interface NBitsSettings extends QuantizeCommonOptions {
  readonly bits: PackBits;
  readonly blockSize: number;
  readonly symmetric: boolean;
  readonly accuracyLevel: number;
  readonly foldBias: boolean;
}

function invalid(message: string): never {
  throw new TlcError('CONFIG_INVALID', message);
}

function common(options: QuantizeCommonOptions): QuantizeCommonOptions {
  const { includeNodes, excludeNodes, includeOps, excludeOps, opsets } = options;
  return {
    ...(includeNodes && { includeNodes }),
    ...(excludeNodes && { excludeNodes }),
    ...(includeOps && { includeOps }),
    ...(excludeOps && { excludeOps }),
    ...(opsets && { opsets }),
  };
}

function weightCoding(coding: Int8WeightCoding | undefined): Int8WeightCoding {
  if (coding === undefined) return 'pair-bounded';
  if (!INT8_WEIGHT_CODINGS.includes(coding))
    invalid(`weights must be one of ${INT8_WEIGHT_CODINGS.join(', ')}, got "${String(coding)}"`);
  return coding;
}

export function resolveDynamicInt8(options: DynamicInt8Options): DynamicInt8Settings {
  const layout = options.embeddingLayout ?? 'gather-dequantize';
  if (layout !== 'gather-dequantize' && layout !== 'dequantize-gather')
    invalid(`embeddingLayout must be 'gather-dequantize' or 'dequantize-gather', got "${String(layout)}"`);
  return {
    ...common(options),
    weightCoding: weightCoding(options.weights),
    weightZeroPoint: options.weightZeroPoint ?? false,
    foldBias: options.foldBias ?? true,
    embeddings: options.embeddings ?? true,
    embeddingLayout: layout,
  };
}

export function resolveStaticQdq(options: StaticQdqOptions): StaticQdqSettings {
  if (!(options.ranges instanceof Map)) invalid('staticQdq needs `ranges` (a Map from calibrate())');
  const activationType = options.activationType ?? 'uint8';
  if (activationType !== 'uint8' && activationType !== 'int8')
    invalid(`activationType must be 'uint8' or 'int8', got "${String(activationType)}"`);
  return {
    ...common(options),
    ranges: options.ranges,
    activationType,
    activationRange: quantRange(activationType, { symmetric: activationType === 'int8' }),
    weightCoding: weightCoding(options.weights),
  };
}

export function resolveNBits(options: WeightOnlyNBitsOptions): NBitsSettings {
  const bits = options.bits ?? 4;
  if (bits !== 4 && bits !== 8) invalid(`bits must be 4 or 8, got ${String(bits)}`);
  const blockSize = options.blockSize ?? 32;
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0)
    invalid(`blockSize must be a power of two ≥ 16 (MatMulNBits' rule), got ${blockSize}`);
  const accuracyLevel = options.accuracyLevel ?? 4;
  if (![0, 1, 2, 3, 4].includes(accuracyLevel))
    invalid(`accuracyLevel must be 0, 1, 2, 3 or 4, got ${String(accuracyLevel)}`);
  return {
    ...common(options),
    bits,
    blockSize,
    symmetric: options.symmetric ?? true,
    accuracyLevel,
    foldBias: options.foldBias ?? true,
  };
}

/** Quantization parameters of an activation from its calibrated range, or why there are none. */
export function activationQuant(
  settings: StaticQdqSettings,
  value: string,
): { readonly ok: true; readonly quant: ActivationQuant } | { readonly ok: false; readonly reason: string } {
  const r = settings.ranges.get(value);
  if (r === undefined)
    return { ok: false, reason: `no calibration range for activation "${value}" (calibrate it first)` };
  if (!Number.isFinite(r.min) || !Number.isFinite(r.max) || r.min > r.max)
    return { ok: false, reason: `calibration range of "${value}" is not finite: [${r.min}, ${r.max}]` };
  const params =
    settings.activationType === 'uint8'
      ? asymmetricParams(r.min, r.max, settings.activationRange)
      : symmetricParams(Math.max(Math.abs(r.min), Math.abs(r.max)), settings.activationRange);
  return { ok: true, quant: { params, type: settings.activationType } };
}
