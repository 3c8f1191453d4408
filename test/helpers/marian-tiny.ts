/**
 * The PyTorch Marian-style fixture (test/fixtures/torch/marian_tiny): its expected.json, and greedy decoding of
 * its split layout (encoder_model, decoder_model, decoder_with_past_model) in ONNX Runtime, as the translation
 * task runs it: one decoder step with the full prefix, then one cached step per token.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModel, loadModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { createSession, type OrtSession, type OrtTensor, runSession } from '../../src/ort/session.js';
import { i64 } from './ort.js';

export const MARIAN_DIR = join(import.meta.dirname, '..', 'fixtures', 'torch', 'marian_tiny');

export interface MarianExpected {
  readonly pad: number;
  readonly eos: number;
  readonly decoder_start: number;
  readonly heads: number;
  readonly layers: number;
  readonly input_ids: number[][];
  readonly attention_mask: number[][];
  readonly last_hidden_state_shape: number[];
  readonly last_hidden_state_first8: number[];
  readonly last_hidden_state_sum: number;
  readonly first_step_logits_first8: number[];
  readonly first_step_logits_sum: number;
  readonly greedy_tokens: number[][];
}

export interface MarianModels {
  readonly encoder: Model;
  readonly decoder: Model;
  readonly decoderWithPast: Model;
}

export function marianExpected(): MarianExpected {
  return JSON.parse(readFileSync(join(MARIAN_DIR, 'expected.json'), 'utf8')) as MarianExpected;
}

export function loadMarian(): MarianModels {
  return {
    encoder: loadModel(join(MARIAN_DIR, 'encoder_model.onnx')),
    decoder: loadModel(join(MARIAN_DIR, 'decoder_model.onnx')),
    decoderWithPast: loadModel(join(MARIAN_DIR, 'decoder_with_past_model.onnx')),
  };
}

export interface GreedyResult {
  readonly hidden: OrtTensor;
  /** The first decoder step's logits at its last position, [batch, vocab]. */
  readonly firstLogits: Float32Array;
  /** Every step's logits at the last position, flattened [step][batch][vocab]. */
  readonly stepLogits: Float32Array[];
  readonly tokens: number[][];
}

function argmaxRows(logits: OrtTensor, batch: number): number[] {
  const dims = logits.dims;
  const vocab = dims[dims.length - 1]!;
  const length = dims[1]!;
  const data = logits.data as Float32Array;
  const out: number[] = [];
  for (let b = 0; b < batch; b++) {
    const row = data.subarray(((b + 1) * length - 1) * vocab, (b + 1) * length * vocab);
    let best = 0;
    for (let j = 1; j < vocab; j++) if (row[j]! > row[best]!) best = j;
    out.push(best);
  }
  return out;
}

function lastRows(logits: OrtTensor, batch: number): Float32Array {
  const dims = logits.dims;
  const vocab = dims[dims.length - 1]!;
  const length = dims[1]!;
  const data = logits.data as Float32Array;
  const out = new Float32Array(batch * vocab);
  for (let b = 0; b < batch; b++)
    out.set(data.subarray(((b + 1) * length - 1) * vocab, (b + 1) * length * vocab), b * vocab);
  return out;
}

/** Greedy decoding for `steps` tokens; finished rows get the pad token, as transformers' generate does. */
export async function greedyMarian(
  models: MarianModels,
  e: MarianExpected,
  steps: number,
): Promise<GreedyResult> {
  const sessions: OrtSession[] = [];
  const open = async (m: Model) => {
    const s = await createSession(encodeModel(m));
    sessions.push(s);
    return s;
  };
  try {
    const [encoder, decoder, withPast] = [
      await open(models.encoder),
      await open(models.decoder),
      await open(models.decoderWithPast),
    ];
    const batch = e.input_ids.length;
    const dims = [batch, e.input_ids[0]!.length];
    const mask = i64(e.attention_mask.flat(), dims);
    const enc = await runSession(encoder, { input_ids: i64(e.input_ids.flat(), dims), attention_mask: mask });
    const hidden = enc.last_hidden_state!;
    let out = await runSession(decoder, {
      input_ids: i64(new Array<number>(batch).fill(e.decoder_start), [batch, 1]),
      encoder_attention_mask: mask,
      encoder_hidden_states: hidden,
    });
    const firstLogits = lastRows(out.logits!, batch);
    const cross: Record<string, OrtTensor> = {};
    for (const [name, t] of Object.entries(out))
      if (name.includes('.encoder.')) cross[name.replace('present.', 'past_key_values.')] = t;
    const tokens: number[][] = Array.from({ length: batch }, () => []);
    const stepLogits: Float32Array[] = [];
    const done = new Array<boolean>(batch).fill(false);
    for (let step = 0; step < steps; step++) {
      stepLogits.push(lastRows(out.logits!, batch));
      const next = argmaxRows(out.logits!, batch).map((t, b) => (done[b] ? e.pad : t));
      next.forEach((t, b) => {
        tokens[b]!.push(t);
        if (t === e.eos) done[b] = true;
      });
      const self: Record<string, OrtTensor> = {};
      for (const [name, t] of Object.entries(out))
        if (name.includes('.decoder.')) self[name.replace('present.', 'past_key_values.')] = t;
      out = await runSession(withPast, {
        input_ids: i64(next, [batch, 1]),
        encoder_attention_mask: mask,
        ...self,
        ...cross,
      });
    }
    return { hidden, firstLogits, stepLogits, tokens };
  } finally {
    for (const s of sessions) await s.release();
  }
}
