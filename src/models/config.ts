/** Transformer size and shape settings, validated once. */
import { TlcError } from '../errors/index.js';

export type Activation = 'gelu' | 'gelu_tanh' | 'relu';

/**
 * How attention learns where tokens are. 'learned': a trained [maxLength, D] table added to the token
 * embeddings (BERT / RoBERTa / Marian). 'alibi': no table; each head adds −m·|i − j| to its attention logits
 * (Press et al. 2022, symmetric for the bidirectional encoder; causal self-attention only sees j ≤ i, and
 * cross-attention has no position bias), with the geometric slopes m of positions.ts.
 */
export type PositionScheme = 'learned' | 'alibi';
export const POSITION_SCHEMES: readonly PositionScheme[] = ['learned', 'alibi'];

export interface TransformerConfig {
  readonly vocabSize: number;
  readonly maxLength: number;
  /** Width (hidden size). */
  readonly dModel: number;
  /** Depth (encoder layers). */
  readonly layers: number;
  readonly heads: number;
  /** FFN inner size. */
  readonly ffn: number;
  /** Dropout on embeddings, attention output and FFN output (0 turns it off). */
  readonly dropout: number;
  /** Dropout on attention probabilities. */
  readonly attentionDropout: number;
  /** Pre-LayerNorm (norm before each sub-layer, plus a final norm) or post-LayerNorm (BERT / RoBERTa). */
  readonly preLayerNorm: boolean;
  readonly positions: PositionScheme;
  readonly activation: Activation;
  readonly layerNormEpsilon: number;
  /** float32 for training and serving; float64 for gradient checks. */
  readonly dtype: 'float32' | 'float64';
}

export const DEFAULT_CONFIG: Omit<TransformerConfig, 'vocabSize' | 'dModel' | 'layers' | 'heads' | 'ffn'> = {
  maxLength: 512,
  dropout: 0.1,
  attentionDropout: 0.1,
  preLayerNorm: false,
  // The structural default (old run settings and configs that do not say): new runs choose theirs in
  // train/run/recipe.ts.
  positions: 'learned',
  activation: 'gelu',
  layerNormEpsilon: 1e-5,
  dtype: 'float32',
};

export function makeConfig(
  sizes: Pick<TransformerConfig, 'vocabSize' | 'dModel' | 'layers' | 'heads'> & Partial<TransformerConfig>,
): TransformerConfig {
  const config: TransformerConfig = { ...DEFAULT_CONFIG, ffn: 4 * sizes.dModel, ...sizes };
  validateConfig(config);
  return config;
}

export function validateConfig(c: TransformerConfig): void {
  const positive = ['vocabSize', 'maxLength', 'dModel', 'layers', 'heads', 'ffn'] as const;
  for (const key of positive) {
    if (!Number.isInteger(c[key]) || c[key] <= 0)
      throw new TlcError('CONFIG_INVALID', `${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.dModel % c.heads !== 0) {
    throw new TlcError('CONFIG_INVALID', `dModel ${c.dModel} must be divisible by heads ${c.heads}`);
  }
  if (!POSITION_SCHEMES.includes(c.positions)) {
    throw new TlcError(
      'CONFIG_INVALID',
      `positions must be one of ${POSITION_SCHEMES.join(', ')}, got ${String(c.positions)}`,
    );
  }
  for (const key of ['dropout', 'attentionDropout'] as const) {
    if (!(c[key] >= 0 && c[key] < 1))
      throw new TlcError('CONFIG_INVALID', `${key} must be in [0, 1), got ${c[key]}`);
  }
}
