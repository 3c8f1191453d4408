/** `tlc.json`: what TLC knows about a model folder beyond the Hugging Face files. */
import type { TransformerConfig } from '../models/config.js';
import { MODEL_TASKS, type ModelTask } from '../tasks/catalog.js';

export const TLC_MODEL_FORMAT = 'tlc-model/1';

export type { ModelTask };
/** The tasks a model folder can declare (tlc.json `task`): the rows of src/tasks/catalog.ts. */
export { MODEL_TASKS };

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
  readonly latency?: VariantLatencyEntry;
  /**
   * The fidelity probe's result where the variant was compressed (probe.json holds the inputs' recipe and
   * fp32's answers): top-1 agreement with fp32 over the probe's rows, and the CPU it was measured on. The
   * server measures it again at load and marks the variant degraded when it falls short by more than the
   * probe's tolerance.
   */
  readonly check?: VariantCheckEntry;
}

/** Latency measured at compression on the served path (export-and-compress), and where. */
export interface VariantLatencyEntry {
  readonly p50_ms: number;
  readonly p95_ms: number;
  readonly speedup?: number;
  readonly batch?: number;
  readonly sequence?: number;
  readonly threads?: number;
  /** The CPU it was timed on (util/cpu.ts cpuLabel); absent in folders written before it was recorded. */
  readonly cpu?: string;
}

export interface VariantCheckEntry {
  readonly agreement: number;
  readonly rows: number;
  readonly cpu: string;
}

/**
 * A variant kept for its size rather than its speed: timed on the served path and not faster than fp32 there
 * (4-bit weights on a CPU whose MatMulNBits kernel is slower than its float GEMM).
 */
export function isSizeVariant(entry: VariantEntry): boolean {
  return entry.recipe.length > 0 && entry.latency?.speedup !== undefined && entry.latency.speedup < 1;
}

/**
 * Tasks a folder from another tool can hold that TLC recognises but does not serve; tlc.json records them so
 * that a compressed causal LM still says what it is ("task not served") instead of posing as fill-mask.
 */
export const UNSERVED_TASKS = ['text-generation', 'other'] as const;
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
