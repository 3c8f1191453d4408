/**
 * The decoder side of cached generation over Optimum's two decoder graphs: `decoder_model` for the first
 * token (it also returns the cross-attention keys/values, computed once), then one `decoder_with_past_model`
 * step per generated token. Rows (batch entries) can be reordered, duplicated or dropped between steps —
 * beam search's reorder by beam origin, finished sources leaving the batch — by copying cache rows with plain
 * typed-array copies; the cross-attention cache is copied only when the sources behind the rows change.
 */
import { TlcError } from '../../errors/index.js';
import { fromFloat16Array } from '../../onnx/float16.js';
import { type OrtTensor, ortTensor, runSession } from '../../ort/session.js';
import type { DecoderSessions } from './decoder-sessions.js';

export type { DecoderSessions } from './decoder-sessions.js';

/** The encoder's output for a padded batch of sources. */
export interface EncodedSources {
  /** [sources, length, dModel] */
  readonly hidden: OrtTensor;
  /** [sources, length] ones at tokens, zeros at padding. */
  readonly mask: BigInt64Array;
  readonly length: number;
}

/** Next-token logits of every row, row r at `data[r * vocab …]`. */
export interface StepLogits {
  readonly data: Float32Array;
  readonly vocab: number;
}

const PAST = /^past_key_values\.(\d+)\.(decoder|encoder)\.(key|value)$/;

/** The cache tensor names of the with-past graph, checked against both graphs' inputs and outputs. */
function cacheLayers(sessions: DecoderSessions): number {
  const past = sessions.decoderWithPast.inputNames.filter((n) => PAST.test(n));
  const layers = past.length / 4;
  const problems: string[] = [];
  if (layers < 1 || !Number.isInteger(layers)) problems.push('no past_key_values.{i}.* inputs');
  for (let i = 0; i < layers; i++) {
    for (const kind of ['decoder', 'encoder'])
      for (const part of ['key', 'value']) {
        if (!past.includes(`past_key_values.${i}.${kind}.${part}`))
          problems.push(`decoder_with_past lacks past_key_values.${i}.${kind}.${part}`);
        if (!sessions.decoder.outputNames.includes(`present.${i}.${kind}.${part}`))
          problems.push(`decoder lacks present.${i}.${kind}.${part}`);
      }
  }
  for (const name of ['input_ids', 'encoder_attention_mask', 'encoder_hidden_states'])
    if (!sessions.decoder.inputNames.includes(name)) problems.push(`decoder lacks input ${name}`);
  if (!sessions.decoderWithPast.outputNames.includes('logits'))
    problems.push('decoder_with_past lacks logits');
  if (problems.length > 0)
    throw new TlcError(
      'MODEL_INVALID',
      `the translation decoder graphs do not have Optimum's key/value cache layout: ${problems.slice(0, 4).join('; ')}`,
    );
  return layers;
}

/** Copies rows `origins[r]` of a [rows, …] tensor (of any element type) into a tensor of `origins.length` rows. */
export function gatherRows(tensor: OrtTensor, origins: readonly number[]): OrtTensor {
  const [rows, ...rest] = tensor.dims;
  const data = tensor.data as Float32Array | Uint16Array | BigInt64Array;
  const size = rest.reduce((a, d) => a * d, 1);
  if (rows === undefined || data.length !== rows * size)
    throw new TlcError('ORT_RUN_FAILED', `cannot reorder a tensor of shape [${tensor.dims.join(', ')}]`);
  // Copy bytes, so one loop serves float32, float16 and int64 caches alike.
  const rowBytes = size * data.BYTES_PER_ELEMENT;
  const from = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(origins.length * rowBytes);
  origins.forEach((o, r) => {
    bytes.set(from.subarray(o * rowBytes, (o + 1) * rowBytes), r * rowBytes);
  });
  const Typed = data.constructor as new (buffer: ArrayBuffer) => typeof data;
  return ortTensor(tensor.type, new Typed(bytes.buffer), [origins.length, ...rest]);
}

/** The logits output ([rows, 1, vocab]: every step feeds one token per row) as float32. */
function logitsOf(out: Record<string, OrtTensor>): StepLogits {
  const t = out.logits!;
  const vocab = t.dims[t.dims.length - 1]!;
  const data = t.type === 'float16' ? fromFloat16Array(t.data as Uint16Array) : (t.data as Float32Array);
  return { data, vocab };
}

const isIdentity = (origins: readonly number[], rows: number) =>
  origins.length === rows && origins.every((o, r) => o === r);

const sameSources = (a: Int32Array, b: Int32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

function idsTensor(tokens: readonly number[]): OrtTensor {
  return ortTensor(
    'int64',
    BigInt64Array.from(tokens, (t) => BigInt(t)),
    [tokens.length, 1],
  );
}

/** The key/value caches of a batch of rows being decoded, one step at a time. */
export class DecoderCache {
  private constructor(
    private readonly sessions: DecoderSessions,
    private readonly layers: number,
    private readonly sourceMask: BigInt64Array,
    private readonly sourceLength: number,
    /** The source (index into the encoded batch) behind each row. */
    private rowSource: Int32Array,
    private mask: OrtTensor,
    private self: Record<string, OrtTensor>,
    private cross: Record<string, OrtTensor>,
  ) {}

  /** Rows in the batch. */
  get rows(): number {
    return this.rowSource.length;
  }

  /** The source behind each row. */
  get sources(): Int32Array {
    return this.rowSource;
  }

  /**
   * Runs decoder_model on one start token per source (all sources of the encoded batch) and returns the cache
   * with the logits of the first generated token.
   */
  static async start(
    sessions: DecoderSessions,
    encoded: EncodedSources,
    startToken: number,
  ): Promise<{ cache: DecoderCache; logits: StepLogits }> {
    const layers = cacheLayers(sessions);
    const n = encoded.hidden.dims[0]!;
    const mask = ortTensor('int64', encoded.mask, [n, encoded.length]);
    const out = await runSession(sessions.decoder, {
      input_ids: idsTensor(new Array<number>(n).fill(startToken)),
      encoder_attention_mask: mask,
      encoder_hidden_states: encoded.hidden,
    });
    const self: Record<string, OrtTensor> = {};
    const cross: Record<string, OrtTensor> = {};
    for (let i = 0; i < layers; i++)
      for (const part of ['key', 'value']) {
        self[`past_key_values.${i}.decoder.${part}`] = out[`present.${i}.decoder.${part}`]!;
        cross[`past_key_values.${i}.encoder.${part}`] = out[`present.${i}.encoder.${part}`]!;
      }
    const rowSource = Int32Array.from({ length: n }, (_, i) => i);
    const cache = new DecoderCache(
      sessions,
      layers,
      encoded.mask,
      encoded.length,
      rowSource,
      mask,
      self,
      cross,
    );
    return { cache, logits: logitsOf(out) };
  }

  /**
   * One decoder_with_past step: row r of the new batch continues old row `origins[r]` with `tokens[r]`.
   * Returns the logits of the next token for every new row.
   */
  async step(tokens: readonly number[], origins: readonly number[]): Promise<StepLogits> {
    if (tokens.length !== origins.length || tokens.length === 0)
      throw new TlcError('ORT_RUN_FAILED', 'a decoder step needs one token per row');
    if (!isIdentity(origins, this.rows)) {
      for (const name of Object.keys(this.self)) this.self[name] = gatherRows(this.self[name]!, origins);
      const rowSource = Int32Array.from(origins, (o) => this.rowSource[o]!);
      if (!sameSources(rowSource, this.rowSource)) {
        for (const name of Object.keys(this.cross)) this.cross[name] = gatherRows(this.cross[name]!, origins);
        const mask = new BigInt64Array(rowSource.length * this.sourceLength);
        const s = this.sourceLength;
        rowSource.forEach((src, r) => {
          mask.set(this.sourceMask.subarray(src * s, (src + 1) * s), r * s);
        });
        this.mask = ortTensor('int64', mask, [rowSource.length, s]);
      }
      this.rowSource = rowSource;
    }
    const out = await runSession(this.sessions.decoderWithPast, {
      input_ids: idsTensor(tokens),
      encoder_attention_mask: this.mask,
      ...this.self,
      ...this.cross,
    });
    for (let i = 0; i < this.layers; i++)
      for (const part of ['key', 'value'])
        this.self[`past_key_values.${i}.decoder.${part}`] = out[`present.${i}.decoder.${part}`]!;
    return logitsOf(out);
  }
}
