/**
 * Fill-mask as served: texts with mask tokens in, the Hugging Face pipeline's answer out (per mask: candidates
 * with score, token, token_str and the filled sequence).
 */
import { TlcError } from '../../errors/index.js';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import { TRUNCATION } from '../parameters.js';
import type { RequestIo, ServedModel, ServingSpec, TextBody, VariantRunner } from '../spec.js';
import { type FillMaskItem, type FillMaskOutput, maskPositions, runFillMaskBatch } from './batch.js';
import { filledSequences } from './filled-sequence.js';

export interface Candidate {
  readonly score: number;
  readonly token: number;
  readonly token_str: string;
  readonly sequence: string;
}

/** Per text: one candidate list per mask token. */
export type FillMaskAnswer = Candidate[][];

/** One mask's list on its own, several masks as a list of lists (the pipeline's shape). */
const perText = (a: FillMaskAnswer): Candidate[] | Candidate[][] => (a.length === 1 ? a[0]! : a);

function topKOf(parameters: Readonly<Record<string, unknown>> | undefined): number {
  return Number(parameters?.top_k ?? 5);
}

function fillMaskModel(tokenizer: Tokenizer, maskId: number, maxLength: number): ServedModel {
  const pad = tokenizer.specialIds.pad ?? 1;
  const maskToken = tokenizer.idToToken(maskId) ?? '<mask>';
  return {
    maxLength,
    variantFiles(files, where) {
      if (files.length !== 1)
        throw new TlcError(
          'MODEL_INVALID',
          `${where} lists ${files.length} files; a fill-mask variant has 1`,
        );
      return [...files];
    },
    runner(call, makeBatcher): VariantRunner {
      const batcher = makeBatcher<FillMaskItem, FillMaskOutput>(
        (items) => runFillMaskBatch(call, items, pad),
        (item) => item.ids.length,
      );
      const answer = async (
        texts: readonly string[],
        topK: number,
        io: RequestIo,
      ): Promise<FillMaskAnswer[]> => {
        const items = io
          .tokenize(texts, (text) => tokenizer.encode(text))
          .map((ids, i): FillMaskItem => {
            const positions = maskPositions(ids, maskId);
            if (positions.length === 0)
              throw new TlcError('INPUT_INVALID', `input ${i} has no ${maskToken} token to fill`);
            return { ids, maskPositions: positions, topK };
          });
        io.checkAnswerSize(
          items.reduce((n, x) => n + x.maskPositions!.length * topK, 0),
          'candidates (masks × top_k over all inputs)',
        );
        const outcomes = await Promise.all(items.map((item) => batcher.submit(item)));
        io.observe(outcomes, batcher.depth);
        return outcomes.map(({ output }, i) => {
          const x = items[i]!;
          return output.map((m, k) => {
            const sequences = filledSequences(tokenizer, x.ids, x.maskPositions![k]!, m.ids);
            return m.ids.map((id, j) => ({
              score: m.scores[j]!,
              token: id,
              token_str: tokenizer.decode([id]),
              sequence: sequences[j]!,
            }));
          });
        });
      };
      return {
        async v1(body: TextBody, texts, io) {
          const answers = await answer(texts, topKOf(body.parameters), io);
          return Array.isArray(body.inputs) ? answers.map(perText) : perText(answers[0]!);
        },
        async v2(texts, parameters, io) {
          const answers = await answer(texts, topKOf(parameters), io);
          return answers.map((a) => JSON.stringify(perText(a)));
        },
        async warmUp() {
          const ids = tokenizer.encode('hello world');
          const masked = Int32Array.from([...ids.slice(0, -1), maskId, ids.at(-1)!]);
          // Straight to a worker, not through the batcher: concurrent warm-ups then reach every worker.
          await runFillMaskBatch(call, [{ ids: masked, maskPositions: [masked.length - 2], topK: 1 }], pad);
        },
        idle: () => batcher.idle(),
      };
    },
  };
}

export const fillMaskServing: ServingSpec = {
  route: 'fill-mask',
  v2Output: 'candidates',
  parameters: {
    type: 'object',
    properties: {
      top_k: { type: 'integer', minimum: 1, maximum: 100 },
      truncation: TRUNCATION,
    },
  },
  open(dir, tokenizer, maxLength) {
    const maskId = tokenizer.specialIds.mask;
    if (maskId === undefined) throw new TlcError('MODEL_INVALID', `${dir}: the tokenizer has no mask token`);
    return fillMaskModel(tokenizer, maskId, maxLength);
  },
};
