/** Translation as served: texts in, the Hugging Face pipeline's `[{ translation_text }]` out. */
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import { TRUNCATION } from '../parameters.js';
import type { RequestIo, ServedModel, ServingSpec, TextBody, VariantRunner } from '../spec.js';
import { runTranslateBatch, type TranslateItem } from './batch.js';
import { type GenerationIds, graphList, readTranslationModel, variantFiles } from './translation-model.js';

export interface TranslateParameters {
  readonly numBeams: number;
  readonly maxNewTokens: number;
  readonly lengthPenalty: number;
}

/** Request parameters (Hugging Face names) with defaults; new tokens are capped by the model's length. */
export function translateParameters(
  maxLength: number,
  p: Readonly<Record<string, unknown>> | undefined,
): TranslateParameters {
  const limit = maxLength - 1;
  return {
    numBeams: Number(p?.num_beams ?? 1),
    maxNewTokens: Math.min(Number(p?.max_new_tokens ?? limit), limit),
    lengthPenalty: Number(p?.length_penalty ?? 1),
  };
}

/**
 * An item's work in token positions: the source once through the encoder, then each beam one decoder position
 * per new token (a cached step costs about one position; attention over the cache is small at these lengths),
 * so the unit is fill-mask's tokens and raw rows × length. New tokens are expected at most twice the source
 * plus 8 (translations rarely run longer before </s>), and never over `max_new_tokens`. The product
 * source × beams × max new tokens would not be positions, and would price a one-line request with the default
 * `max_new_tokens` (the model's length) like a page.
 */
export function translateCost(item: TranslateItem): number {
  const steps = Math.min(item.maxNewTokens, 2 * item.source.length + 8);
  return item.source.length + item.numBeams * steps;
}

function translationModel(tokenizer: Tokenizer, ids: GenerationIds, maxLength: number): ServedModel {
  return {
    maxLength,
    variantFiles(files, where) {
      // The worker takes the encoder, then decoder and decoder with past (or the merged decoder), whatever
      // order tlc.json lists them in.
      return graphList(variantFiles(files, where));
    },
    runner(call, makeBatcher): VariantRunner {
      const batcher = makeBatcher<TranslateItem, Int32Array>(
        (items, cancelled) => runTranslateBatch(call, items, ids, cancelled),
        (item) => item.source.length,
      );
      const translate = async (
        texts: readonly string[],
        parameters: Readonly<Record<string, unknown>> | undefined,
        io: RequestIo,
      ): Promise<string[]> => {
        const sources = io.tokenize(texts, (text) => [
          ...tokenizer.encode(text, { addSpecialTokens: false }),
          ids.eos,
        ]);
        const settings = translateParameters(maxLength, parameters);
        const items = sources.map((source): TranslateItem => ({ source, ...settings }));
        const outcomes = await batcher.submitAll(items, items.map(translateCost), io.client);
        io.observe(outcomes, batcher.depth);
        io.countTokens(outcomes.reduce((s, o) => s + o.output.length, 0));
        return outcomes.map((o) => tokenizer.decode(o.output, { skipSpecialTokens: true }).trim());
      };
      return {
        async v1(body: TextBody, texts, io) {
          const out = await translate(texts, body.parameters, io);
          return out.map((translation_text) => ({ translation_text }));
        },
        v2: (texts, parameters, io) => translate(texts, parameters, io),
        runAlone: (work, cost, client) => batcher.runAlone(work, cost, client),
        async warmUp() {
          // Straight to a worker, not through the batcher: concurrent warm-ups then reach every worker.
          const source = Int32Array.from(tokenizer.encode('hello world'));
          await runTranslateBatch(call, [{ source, numBeams: 1, maxNewTokens: 2, lengthPenalty: 1 }], ids);
        },
        idle: () => batcher.idle(),
      };
    },
  };
}

export const translationServing: ServingSpec = {
  route: 'translate',
  v2Output: 'translation_text',
  parameters: {
    type: 'object',
    properties: {
      num_beams: { type: 'integer', minimum: 1, maximum: 8 },
      max_new_tokens: { type: 'integer', minimum: 1, maximum: 512 },
      length_penalty: { type: 'number', minimum: 0, maximum: 4 },
      truncation: TRUNCATION,
    },
  },
  open: (dir, tokenizer, maxLength) => translationModel(tokenizer, readTranslationModel(dir), maxLength),
};
