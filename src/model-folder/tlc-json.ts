/** `tlc.json`: what TLC knows about a model folder beyond the Hugging Face files. */
import type { TransformerConfig } from '../models/config.js';

export const TLC_MODEL_FORMAT = 'tlc-model/1';

/** The tasks a model folder can declare (tlc.json `task`); src/tasks has one row for each. */
export const MODEL_TASKS = ['fill-mask', 'translation'] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

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
    /** Absent in folders written before position schemes existed (learned). */
    readonly positions?: TransformerConfig['positions'];
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

/**
 * tlc.json for a fill-mask model TLC did not write (a bare .onnx or an exported folder without tlc.json): what
 * is known is the vocabulary, the maximum length and one fp32 file; the architecture is left unknown (zeros).
 */
export function bareFillMaskTlc(facts: {
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly parameters: number;
  readonly file: string;
  readonly bytes: number;
}): TlcModelJson {
  return {
    format: TLC_MODEL_FORMAT,
    task: 'fill-mask',
    architecture: {
      family: 'roberta',
      layers: 0,
      dModel: 0,
      heads: 0,
      ffn: 0,
      maxLength: facts.maxLength,
      vocabSize: facts.vocabSize,
      preLayerNorm: false,
      activation: 'gelu',
    },
    parameters: { total: facts.parameters, nonEmbedding: facts.parameters },
    variants: [{ name: 'fp32', files: [facts.file], recipe: [], bytes: facts.bytes }],
  };
}
