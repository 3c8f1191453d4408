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
  /** Weights of the variant's graphs, and those not exactly zero (written by export-and-compress). */
  readonly parameters?: number;
  readonly nonZero?: number;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly latency?: Readonly<Record<string, number>>;
}

/**
 * Tasks a folder from another tool can hold that TLC recognises but does not serve; tlc.json records them so
 * that a compressed causal LM still says what it is ("task not served") instead of posing as fill-mask.
 */
export const UNSERVED_TASKS = ['text-generation', 'feature-extraction', 'other'] as const;
export type UnservedTask = (typeof UNSERVED_TASKS)[number];

export function isServedTask(task: string): task is ModelTask {
  return (MODEL_TASKS as readonly string[]).includes(task);
}

export interface TlcModelJson {
  readonly format: typeof TLC_MODEL_FORMAT;
  readonly task: ModelTask | UnservedTask;
  readonly architecture: {
    /** Hugging Face `model_type`: roberta / marian for TLC's own exports, the source's for foreign folders. */
    readonly family: string;
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
  /** Foreign folders: how the task was detected, and tied copies of the embedding found in the graph. */
  readonly source?: { readonly detected: string; readonly tiedCopies?: readonly string[] };
  readonly variants: readonly VariantEntry[];
}
