/**
 * The two decoder graphs that cached generation calls (decoder-cache.ts), from either of Optimum's layouts:
 *   - `decoder_model.onnx` + `decoder_with_past_model.onnx` (TLC's export, Optimum's older one): used as they are;
 *   - `decoder_model_merged.onnx` (Optimum's current export): one graph whose `use_cache_branch` input selects an
 *     If branch. Two views over its one session stand in for the two graphs: the first step feeds
 *     `use_cache_branch = false` and empty (zero-length) past tensors, later steps `true` and a placeholder for
 *     any input the with-past branch does not read (the encoder's hidden states).
 */
import { TlcError } from '../../errors/index.js';
import { type OrtFeeds, type OrtSession, type OrtTensor, ortTensor } from '../../ort/session.js';

/** What generation needs of a session: its names and `run`. */
export type RunnableSession = Pick<OrtSession, 'inputNames' | 'outputNames' | 'run'>;

export interface DecoderSessions {
  readonly decoder: RunnableSession;
  readonly decoderWithPast: RunnableSession;
}

const USE_CACHE = 'use_cache_branch';
const PAST = 'past_key_values.';

type Metadata = OrtSession['inputMetadata'][number];

/**
 * A zero-filled tensor of the input's declared shape: fixed sizes as declared, the first symbolic axis the batch
 * (as in every Optimum export), any other symbolic axis `length`.
 */
function placeholder(meta: Metadata, batch: number, length: number): OrtTensor {
  if (!meta.isTensor)
    throw new TlcError('MODEL_INVALID', `decoder_model_merged input ${meta.name} is not a tensor`);
  const shape = meta.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : length));
  const size = shape.reduce((a, b) => a * b, 1);
  if (meta.type === 'float32') return ortTensor('float32', new Float32Array(size), shape);
  if (meta.type === 'float16') return ortTensor('float16', new Uint16Array(size), shape);
  if (meta.type === 'int64') return ortTensor('int64', new BigInt64Array(size), shape);
  throw new TlcError('MODEL_INVALID', `decoder_model_merged input ${meta.name} has type ${meta.type}`);
}

function mergedViews(merged: OrtSession): DecoderSessions {
  const metadata = merged.inputMetadata;
  /** The feeds plus placeholders: empty past tensors (length 0), a one-position encoder output. */
  const complete = (feeds: OrtFeeds, useCache: boolean): OrtFeeds => {
    const batch = Number(feeds.input_ids?.dims[0] ?? 1);
    const out: OrtFeeds = { ...feeds, [USE_CACHE]: ortTensor('bool', Uint8Array.of(useCache ? 1 : 0), [1]) };
    for (const meta of metadata)
      if (!(meta.name in out)) out[meta.name] = placeholder(meta, batch, meta.name.startsWith(PAST) ? 0 : 1);
    return out;
  };
  return {
    decoder: {
      inputNames: merged.inputNames.filter((n) => n !== USE_CACHE && !n.startsWith(PAST)),
      outputNames: merged.outputNames,
      run: ((feeds: OrtFeeds) => merged.run(complete(feeds, false))) as OrtSession['run'],
    },
    decoderWithPast: {
      inputNames: merged.inputNames.filter((n) => n !== USE_CACHE && n !== 'encoder_hidden_states'),
      outputNames: merged.outputNames.filter((n) => !/^present\.\d+\.encoder\./.test(n)),
      run: ((feeds: OrtFeeds) => merged.run(complete(feeds, true))) as OrtSession['run'],
    },
  };
}

/** The decoder pair from a variant's decoder sessions: two graphs as they are, or one merged graph's views. */
export function decoderSessions(decoders: readonly OrtSession[]): DecoderSessions {
  if (decoders.length === 2) return { decoder: decoders[0]!, decoderWithPast: decoders[1]! };
  if (decoders.length === 1 && decoders[0]!.inputNames.includes(USE_CACHE)) return mergedViews(decoders[0]!);
  throw new TlcError(
    'MODEL_INVALID',
    `a translation variant needs decoder_model + decoder_with_past_model, or decoder_model_merged with a ${USE_CACHE} input`,
  );
}

/** A variant's sessions for generation, and every session opened (to release). */
export interface OpenedTranslation {
  readonly sessions: { readonly encoder: OrtSession } & DecoderSessions;
  readonly opened: readonly OrtSession[];
}

/** Opens a variant's graphs (encoder first, then its decoder graph or graphs) with `open`. */
export async function openTranslation(
  graphs: readonly string[],
  open: (file: string) => Promise<OrtSession>,
): Promise<OpenedTranslation> {
  const opened: OrtSession[] = [];
  try {
    for (const f of graphs) opened.push(await open(f));
    return { sessions: { encoder: opened[0]!, ...decoderSessions(opened.slice(1)) }, opened };
  } catch (error) {
    for (const s of opened) await s.release();
    throw error;
  }
}
