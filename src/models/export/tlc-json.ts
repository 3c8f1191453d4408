/** `tlc.json`: what TLC knows about a model folder beyond the Hugging Face files. */
import type { TransformerConfig } from '../config.js';

export const TLC_MODEL_FORMAT = 'tlc-model/1';

export type ModelTask = 'fill-mask' | 'translation';

export interface VariantEntry {
  /** Variant name (fp32, int8, pruned50_int8, q4…). */
  readonly name: string;
  /** ONNX files of the variant, relative to the folder. */
  readonly files: readonly string[];
  /** Compression recipe steps ([] for the exported model). */
  readonly recipe: readonly string[];
  readonly bytes: number;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly latency?: Readonly<Record<string, number>>;
}

export interface TlcModelJson {
  readonly format: typeof TLC_MODEL_FORMAT;
  readonly task: ModelTask;
  readonly architecture: {
    readonly family: 'roberta' | 'marian';
    readonly layers: number;
    readonly dModel: number;
    readonly heads: number;
    readonly ffn: number;
    readonly maxLength: number;
    readonly vocabSize: number;
    readonly preLayerNorm: boolean;
    readonly activation: TransformerConfig['activation'];
  };
  readonly parameters: { readonly total: number; readonly nonEmbedding: number };
  readonly training?: {
    readonly step: number;
    readonly preset?: string;
    readonly corpus: string;
    readonly seconds?: number;
    readonly tokens?: number;
    readonly validation?: Readonly<Record<string, number>>;
    readonly settings: unknown;
  };
  readonly variants: readonly VariantEntry[];
}
