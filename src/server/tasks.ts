/**
 * The two text tasks as the routes (v1 and v2) use them: tokenize with metrics, queue each text in the
 * variant's batcher, and shape the answers (Hugging Face task formats).
 */
import { TlcError } from '../errors/index.js';
import type { DynamicBatcher } from '../runtime/batcher.js';
import type { LoadedVariant, ModelHandle } from '../runtime/registry.js';
import { type FillMaskItem, type FillMaskOutput, maskPositions } from '../runtime/tasks/fill-mask.js';
import type { TranslateItem } from '../runtime/tasks/translate-batch.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { labelsOf, type ServerContext } from './context.js';
import { filledSequences } from './filled-sequence.js';

export interface Candidate {
  readonly score: number;
  readonly token: number;
  readonly token_str: string;
  readonly sequence: string;
}

/** Per text: one candidate list per mask token. */
export type FillMaskAnswer = Candidate[][];

function tokenize(
  context: ServerContext,
  model: ModelHandle,
  variant: LoadedVariant,
  texts: readonly string[],
  encode: (tokenizer: Tokenizer, text: string) => number[],
): Int32Array[] {
  const tokenizer = model.tokenizer!;
  const t0 = performance.now();
  const ids = texts.map((t) => Int32Array.from(encode(tokenizer, t)));
  const labels = labelsOf(context, model, variant);
  context.metrics.tokenizeDuration.observe(labels, (performance.now() - t0) / 1000);
  const maxLength = model.tlc?.architecture.maxLength || 512;
  for (const [i, x] of ids.entries()) {
    if (x.length > maxLength)
      throw new TlcError(
        'INPUT_TOO_LARGE',
        `input ${i} has ${x.length} tokens; model "${model.name}" takes at most ${maxLength}`,
      );
  }
  context.metrics.tokens.inc(
    labels,
    ids.reduce((s, x) => s + x.length, 0),
  );
  return ids;
}

/** Submits items and records queue time, batch size and queue depth. */
async function submitAll<I, O>(
  context: ServerContext,
  model: ModelHandle,
  variant: LoadedVariant,
  batcher: DynamicBatcher<I, O>,
  items: readonly I[],
): Promise<O[]> {
  const labels = labelsOf(context, model, variant);
  const pending = items.map((item) => batcher.submit(item));
  context.metrics.queueDepth.set(labels, batcher.depth);
  const outcomes = await Promise.all(pending);
  context.metrics.queueDepth.set(labels, batcher.depth);
  for (const o of outcomes) {
    context.metrics.queueDuration.observe(labels, o.queueSeconds);
    context.metrics.batchSize.observe(labels, o.batchSize);
  }
  return outcomes.map((o) => o.output);
}

export async function fillMaskTexts(
  context: ServerContext,
  model: ModelHandle,
  variant: LoadedVariant,
  texts: readonly string[],
  topK: number,
): Promise<FillMaskAnswer[]> {
  const tokenizer = model.tokenizer!;
  const maskId = tokenizer.specialIds.mask!;
  const maskToken = tokenizer.idToToken(maskId) ?? '<mask>';
  const ids = tokenize(context, model, variant, texts, (t, text) => t.encode(text));
  const items: FillMaskItem[] = ids.map((x, i) => {
    const positions = maskPositions(x, maskId);
    if (positions.length === 0)
      throw new TlcError('INPUT_INVALID', `input ${i} has no ${maskToken} token to fill`);
    return { ids: x, maskPositions: positions, topK };
  });
  const batcher = variant.batcher as DynamicBatcher<FillMaskItem, FillMaskOutput>;
  const outputs = await submitAll(context, model, variant, batcher, items);
  return outputs.map((perMask, i) => {
    const x = items[i]!;
    return perMask.map((m, k) => {
      const sequences = filledSequences(tokenizer, x.ids, x.maskPositions![k]!, m.ids);
      return m.ids.map((id, j) => ({
        score: m.scores[j]!,
        token: id,
        token_str: tokenizer.decode([id]),
        sequence: sequences[j]!,
      }));
    });
  });
}

export interface TranslateParameters {
  readonly numBeams: number;
  readonly maxNewTokens: number;
  readonly lengthPenalty: number;
}

/** Request parameters (Hugging Face names) with defaults; new tokens are capped by the model's length. */
export function translateParameters(
  model: ModelHandle,
  p: { num_beams?: unknown; max_new_tokens?: unknown; length_penalty?: unknown },
): TranslateParameters {
  const limit = (model.tlc?.architecture.maxLength || 512) - 1;
  return {
    numBeams: Number(p.num_beams ?? 1),
    maxNewTokens: Math.min(Number(p.max_new_tokens ?? limit), limit),
    lengthPenalty: Number(p.length_penalty ?? 1),
  };
}

export async function translateTexts(
  context: ServerContext,
  model: ModelHandle,
  variant: LoadedVariant,
  texts: readonly string[],
  parameters: TranslateParameters,
): Promise<string[]> {
  const tokenizer = model.tokenizer!;
  const eos = model.generation!.eos;
  const ids = tokenize(context, model, variant, texts, (t, text) => [
    ...t.encode(text, { addSpecialTokens: false }),
    eos,
  ]);
  const batcher = variant.batcher as DynamicBatcher<TranslateItem, Int32Array>;
  const outputs = await submitAll(
    context,
    model,
    variant,
    batcher,
    ids.map((source) => ({ source, ...parameters })),
  );
  context.metrics.tokens.inc(
    labelsOf(context, model, variant),
    outputs.reduce((s, o) => s + o.length, 0),
  );
  return outputs.map((o) => tokenizer.decode(o, { skipSpecialTokens: true }).trim());
}

/** Shapes fill-mask answers as the Hugging Face pipeline does. */
export function fillMaskResponse(answers: readonly FillMaskAnswer[], batched: boolean): unknown {
  const one = (a: FillMaskAnswer) => (a.length === 1 ? a[0] : a);
  return batched ? answers.map(one) : one(answers[0]!);
}
