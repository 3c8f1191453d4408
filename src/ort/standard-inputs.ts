/**
 * The inputs Hugging Face exports declare beside `input_ids` and `attention_mask`, filled by their meaning, as
 * the library's forward pass fills them when a caller leaves them out: `token_type_ids` zeros (one segment,
 * BertModel's default buffer) and `position_ids` 0..n-1 in every row (BertEmbeddings' arange, padded rows
 * included). Optimum's BERT exports declare `token_type_ids` as their third input; feeding it random token
 * ids indexes past the two-row segment table, and leaving it out fails in ONNX Runtime. Every place that
 * runs a graph TLC did not write (sample inputs, calibration, drift, the probe, scoring, bench, serving, the
 * v2 raw path) completes its feeds here, so the rule is written once.
 */
import { type OrtFeeds, type OrtSession, type OrtTensor, ortTensor } from './session.js';

/** An input as a session's metadata or a served signature describes it (symbolic dims as names or -1). */
export interface InputDescription {
  readonly name: string;
  readonly type: string;
  readonly shape: ReadonlyArray<number | string>;
}

/** A filled input: plain data, so that it serves as an ORT tensor and as a worker's wire tensor alike. */
export interface StandardInput {
  readonly type: 'int64' | 'int32';
  readonly data: BigInt64Array | Int32Array;
  readonly dims: readonly number[];
}

/** Value of a standard input at a position of a row, by the input's name. */
const STANDARD_INPUTS: Readonly<Record<string, (position: number) => number>> = {
  token_type_ids: () => 0,
  position_ids: (position) => position,
};

/** Whether TLC fills `name` by its meaning when a caller leaves it out. */
export function isStandardInput(name: string): boolean {
  return Object.hasOwn(STANDARD_INPUTS, name);
}

/**
 * The value of a standard input for a batch of `batch` rows of `sequence` tokens; undefined when `input` is
 * not one, or not an integer tensor. A fixed dimension of the declaration is kept (a `position_ids` [1, n]
 * broadcast over the batch); a symbolic one takes the batch size on the first axis, the length elsewhere.
 */
export function standardInput(
  input: InputDescription,
  batch: number,
  sequence: number,
): StandardInput | undefined {
  const value = STANDARD_INPUTS[input.name];
  if (value === undefined || (input.type !== 'int64' && input.type !== 'int32')) return undefined;
  const shape = input.shape.length > 0 ? input.shape : ['batch', 'sequence'];
  const dims = shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : sequence));
  const last = dims[dims.length - 1] ?? 1;
  const n = dims.reduce((a, d) => a * d, 1);
  const values = Array.from({ length: n }, (_, i) => value(i % last));
  return input.type === 'int64'
    ? { type: 'int64', data: BigInt64Array.from(values, BigInt), dims }
    : { type: 'int32', data: Int32Array.from(values), dims };
}

/**
 * The standard inputs `inputs` declare and `given` lacks, sized like the given `input_ids` (or, without one,
 * the first given tensor of rank 2); none when no given tensor tells the batch and the length.
 */
export function missingStandardInputs(
  inputs: readonly InputDescription[],
  given: Readonly<Record<string, { readonly dims: readonly number[] }>>,
): Record<string, StandardInput> {
  const reference = given.input_ids ?? Object.values(given).find((t) => t.dims.length === 2);
  const [batch, sequence] = reference?.dims ?? [];
  const out: Record<string, StandardInput> = {};
  if (batch === undefined || sequence === undefined) return out;
  for (const input of inputs) {
    if (given[input.name] !== undefined) continue;
    const filled = standardInput(input, batch, sequence);
    if (filled !== undefined) out[input.name] = filled;
  }
  return out;
}

/** The tensor inputs of a session, as descriptions. */
export function sessionInputs(session: Pick<OrtSession, 'inputMetadata'>): InputDescription[] {
  return session.inputMetadata.flatMap((m) =>
    m.isTensor ? [{ name: m.name, type: m.type, shape: m.shape }] : [],
  );
}

export function standardTensor(input: StandardInput): OrtTensor {
  return ortTensor(input.type, input.data, input.dims);
}

/** `feeds` with the standard inputs the session declares and `feeds` lacks added (a new object). */
export function withStandardInputs(session: Pick<OrtSession, 'inputMetadata'>, feeds: OrtFeeds): OrtFeeds {
  const added = Object.entries(missingStandardInputs(sessionInputs(session), feeds));
  if (added.length === 0) return feeds;
  return { ...feeds, ...Object.fromEntries(added.map(([name, t]) => [name, standardTensor(t)])) };
}
