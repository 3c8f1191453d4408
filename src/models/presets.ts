/**
 * Size presets spanning depth and width like the paper's grid (RoBERTa: 3–24 layers, widths 256–1536), scaled to
 * what a 2-core CPU trains in minutes. Counts are non-embedding parameters of the MLM encoder with an 8000-token
 * vocabulary (the encoder-decoder has about 2.3× as many: tiny 0.93M, small 7.4M, deep 22.1M, wide 22.1M,
 * medium 24.9M, large 58.9M, since its decoder layers add cross-attention).
 */
import { TlcError } from '../errors/index.js';
import { makeConfig, type TransformerConfig } from './config.js';

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly dModel: number;
  readonly layers: number;
  readonly heads: number;
  readonly ffn: number;
}

export const PRESETS: readonly Preset[] = Object.freeze([
  { name: 'tiny', description: '2 layers × 128 (≈0.42M)', dModel: 128, layers: 2, heads: 2, ffn: 512 },
  { name: 'small', description: '4 layers × 256 (≈3.23M)', dModel: 256, layers: 4, heads: 4, ffn: 1024 },
  {
    name: 'deep',
    description: '12 layers × 256 (≈9.55M): the depth axis',
    dModel: 256,
    layers: 12,
    heads: 4,
    ffn: 1024,
  },
  {
    name: 'wide',
    description: '3 layers × 512 (≈9.73M): the width axis',
    dModel: 512,
    layers: 3,
    heads: 8,
    ffn: 2048,
  },
  { name: 'medium', description: '6 layers × 384 (≈10.8M)', dModel: 384, layers: 6, heads: 6, ffn: 1536 },
  { name: 'large', description: '8 layers × 512 (≈25.5M)', dModel: 512, layers: 8, heads: 8, ffn: 2048 },
  { name: 'xlarge', description: '12 layers × 640 (≈59.5M)', dModel: 640, layers: 12, heads: 10, ffn: 2560 },
]);

export function findPreset(name: string): Preset {
  const preset = PRESETS.find((p) => p.name === name);
  if (preset === undefined) {
    throw new TlcError(
      'CONFIG_INVALID',
      `unknown preset "${name}"; choose one of ${PRESETS.map((p) => p.name).join(', ')}`,
    );
  }
  return preset;
}

/** A full config from a preset, with any explicit settings taking precedence. */
export function presetConfig(
  name: string,
  settings: Pick<TransformerConfig, 'vocabSize'> & Partial<TransformerConfig>,
): TransformerConfig {
  const { dModel, layers, heads, ffn } = findPreset(name);
  return makeConfig({ dModel, layers, heads, ffn, ...settings });
}
