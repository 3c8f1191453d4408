/**
 * Admission for KServe v2 raw-tensor requests, which skip the text path's tokenizer: every shape, size and id is
 * checked against the model before ONNX Runtime sees it, so that a client's mistake is a 4xx with a code (never
 * a 500 from inside the runtime, or a 32-second run that takes 2 GB). A checked request then waits in its
 * variant's batcher like text, in its client's lane and under the same budgets of work (`rawWork`: rows ×
 * length), and runs alone on a worker; the rows a variant holds in flight on this path are bounded besides,
 * like its batcher's queue (429 with Retry-After).
 */
import { join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { readHfConfig } from '../model-folder/hf-facts.js';
import type { TensorSignature, WireTensor } from '../runtime/worker/protocol.js';
import { type InferTensor, v2Datatype } from './v2-tensors.js';

export interface RawLimits {
  /** Rows (the first axis) per request: the server's inputs-per-request limit. */
  readonly maxRows: number;
  /** The model's positions (the second axis of id and mask tensors). */
  readonly maxLength: number;
  /** Token ids must be below this (0: not checked). */
  readonly vocabSize: number;
  /** Rows of the token-type (segment) table: `token_type_ids` must be below this (0 or absent: not checked). */
  readonly segments?: number;
  /** Rows of the position table: `position_ids` must be below this (0 or absent: not checked). */
  readonly positions?: number;
}

/**
 * Rows of the embedding tables that `token_type_ids` and `position_ids` index, from the folder's config.json:
 * `type_vocab_size` (BertConfig's default of 2 where absent) and `max_position_embeddings` (unchecked where
 * absent, or where config.json cannot be read: ONNX Runtime still refuses an id past the table).
 */
export function embeddingRows(dir: string): Pick<RawLimits, 'segments' | 'positions'> {
  let config: Readonly<Record<string, unknown>> | undefined;
  try {
    config = readHfConfig(join(dir, 'config.json'));
  } catch {
    config = undefined;
  }
  const rows = (v: unknown, fallback: number) =>
    Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : fallback;
  return {
    segments: rows(config?.type_vocab_size, config === undefined ? 0 : 2),
    positions: rows(config?.max_position_embeddings, 0),
  };
}

/** Deepest nesting of `data` a tensor may have: its rank (checked before any recursive walk). */
function nestingWithin(data: unknown, depth: number): boolean {
  let level: unknown[] = [data];
  for (let d = 0; d <= depth; d++) {
    const next: unknown[] = [];
    for (const x of level) if (Array.isArray(x)) for (const y of x) next.push(y);
    if (next.length === 0) return true;
    if (d === depth) return false;
    level = next;
  }
  return true;
}

const ID_INPUTS = new Set(['input_ids', 'decoder_input_ids']);

function check(t: InferTensor, signature: TensorSignature | undefined, limits: RawLimits): void {
  const bad = (why: string): never => {
    throw new TlcError('INPUT_INVALID', `tensor "${t.name}": ${why}`);
  };
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 1))
    bad(`shape [${String(t.shape)}] must list positive integers`);
  if (signature !== undefined && v2Datatype(signature.type) !== t.datatype)
    bad(`datatype ${t.datatype}; the model takes ${v2Datatype(signature.type)}`);
  const rank = signature?.shape.length;
  if (rank !== undefined && rank > 0 && t.shape.length !== rank)
    bad(`rank ${t.shape.length}; the model takes rank ${rank} ([${signature!.shape.join(', ')}])`);
  signature?.shape.forEach((d, i) => {
    if (d > 0 && t.shape[i] !== d) bad(`axis ${i} is ${t.shape[i]}; the model takes ${d}`);
  });
  if (t.shape.length >= 1 && t.shape[0]! > limits.maxRows)
    throw new TlcError(
      'INPUT_TOO_LARGE',
      `tensor "${t.name}": ${t.shape[0]} rows; at most ${limits.maxRows}`,
    );
  if (t.shape.length >= 2 && limits.maxLength > 0 && t.shape[1]! > limits.maxLength)
    throw new TlcError(
      'INPUT_TOO_LARGE',
      `tensor "${t.name}": ${t.shape[1]} positions; the model takes at most ${limits.maxLength}`,
    );
  if (!nestingWithin(t.data, Math.max(1, t.shape.length)))
    bad(`data is nested deeper than its rank ${t.shape.length}`);
}

/** The values of an id tensor are token ids of the model; mask rows index the flattened batch. */
function checkValues(
  name: string,
  values: ArrayLike<number | bigint>,
  [lower, upper]: readonly [number, number],
  what: string,
): void {
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!(v >= lower && v <= upper))
      throw new TlcError(
        'INPUT_INVALID',
        `tensor "${name}": value ${v} at ${i} is not a ${what} (${lower} to ${upper})`,
      );
  }
}

/**
 * Checks a raw-tensor request against the model's inputs before it is decoded: names, ranks, fixed axes, rows,
 * positions and nesting; then (decoded) token ids against the vocabulary and `mask_rows` against the batch.
 */
export function checkRawTensors(
  tensors: readonly InferTensor[],
  signatures: readonly TensorSignature[],
  limits: RawLimits,
): void {
  for (const t of tensors)
    check(
      t,
      signatures.find((s) => s.name === t.name),
      limits,
    );
  checkAligned(tensors);
}

/**
 * Inputs that describe the same tokens, one value per position (Hugging Face's names), must have one shape:
 * `attention_mask` [1, 3] beside `input_ids` [1, 4] would reach ONNX Runtime and fail inside it.
 */
const ALIGNED: readonly (readonly string[])[] = [
  ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids'],
  ['decoder_input_ids', 'decoder_attention_mask'],
];

function checkAligned(tensors: readonly InferTensor[]): void {
  for (const family of ALIGNED) {
    const members = tensors.filter((t) => family.includes(t.name));
    const first = members[0];
    for (const t of members.slice(1))
      if (t.shape.join(',') !== first!.shape.join(','))
        throw new TlcError(
          'INPUT_INVALID',
          `tensor "${t.name}" has shape [${t.shape.join(', ')}] but "${first!.name}" has [${first!.shape.join(', ')}]; they describe the same tokens and must agree`,
        );
  }
}

/** Values of a raw answer at most (about 10 bytes each in JSON): a bound like the fill-mask answer's. */
export const MAX_RAW_ANSWER_VALUES = 1 << 18;

/** Refuses a raw answer too large to send (ask for fewer rows, or name the outputs needed). */
export function checkRawAnswer(
  outputs: Readonly<Record<string, WireTensor>>,
  maxValues = MAX_RAW_ANSWER_VALUES,
): void {
  const values = Object.values(outputs).reduce((s, t) => s + t.data.length, 0);
  if (values > maxValues)
    throw new TlcError(
      'INPUT_TOO_LARGE',
      `the answer would hold ${values} values (${Object.entries(outputs)
        .map(([n, t]) => `${n} [${t.dims.join(', ')}]`)
        .join(
          ', ',
        )}); at most ${maxValues} per request: send fewer rows or list only the outputs you need in "outputs"`,
    );
}

export function checkRawValues(
  feeds: Readonly<Record<string, { readonly data: unknown; readonly dims: readonly number[] }>>,
  limits: RawLimits,
): void {
  const ids = Object.entries(feeds).find(([name]) => ID_INPUTS.has(name));
  for (const [name, t] of Object.entries(feeds)) {
    const values = t.data as ArrayLike<number | bigint>;
    if (ID_INPUTS.has(name) && limits.vocabSize > 0)
      checkValues(name, values, [0, limits.vocabSize - 1], 'token id');
    if (name === 'mask_rows' && ids !== undefined) {
      const [b = 1, s = 1] = ids[1].dims;
      checkValues(name, values, [0, b * s - 1], 'row of the flattened batch');
    }
    if (name === 'top_k') checkValues(name, values, [1, 100], 'top_k');
    // Each indexes an embedding table; an id past its rows fails inside ONNX Runtime's Gather.
    if (name === 'token_type_ids' && (limits.segments ?? 0) > 0)
      checkValues(name, values, [0, limits.segments! - 1], 'token type id (segment)');
    if (name === 'position_ids' && (limits.positions ?? 0) > 0)
      checkValues(name, values, [0, limits.positions! - 1], 'position id');
  }
}

/**
 * A raw request's work in token positions, the batcher's unit: rows × length of its largest input (rows alone
 * for inputs of rank 1).
 */
export function rawWork(feeds: Readonly<Record<string, { readonly dims: readonly number[] }>>): number {
  let work = 1;
  for (const t of Object.values(feeds)) work = Math.max(work, (t.dims[0] ?? 1) * (t.dims[1] ?? 1));
  return work;
}

/** Items in flight per variant on the raw path, bounded (429 over the bound). */
export class RawAdmission {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly maxItems: number) {}

  async run<T>(key: string, items: number, work: () => Promise<T>): Promise<T> {
    const now = this.inFlight.get(key) ?? 0;
    if (now + items > this.maxItems)
      throw new TlcError(
        'QUEUE_FULL',
        `${now} raw-tensor rows already in flight for ${key}; at most ${this.maxItems}`,
        { retryAfterSeconds: 1 },
      );
    this.inFlight.set(key, now + items);
    try {
      return await work();
    } finally {
      this.inFlight.set(key, (this.inFlight.get(key) ?? items) - items);
    }
  }
}
