/**
 * Fill-mask as served: texts with mask tokens in, the Hugging Face pipeline's answer out (per mask: candidates
 * with score, token, token_str and the filled sequence).
 */
import { TlcError } from '../../errors/index.js';
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import { oneFile } from '../encoder-inputs.js';
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

/** How long building an answer may hold the main thread before it lets other work in, in ms. */
const YIELD_MS = 5;

/**
 * `fn` over `items`, letting the event loop in every few ms: decoding the filled sequences of 64 inputs × 50
 * masks takes the main thread for hundreds of ms, and liveness and every other request wait on it.
 */
async function mapSliced<T, R>(items: readonly T[], fn: (item: T, index: number) => R): Promise<R[]> {
  const out: R[] = [];
  let slice = performance.now();
  for (const [i, item] of items.entries()) {
    if (performance.now() - slice > YIELD_MS) {
      await new Promise((r) => setImmediate(r));
      slice = performance.now();
    }
    out.push(fn(item, i));
  }
  return out;
}

/** An input's candidates from its top-k; each token's text decoded once (an answer may ask thousands). */
function candidateMaker(tokenizer: Tokenizer): (x: FillMaskItem, output: FillMaskOutput) => FillMaskAnswer {
  const tokenStrings = new Map<number, string>();
  const tokenStr = (id: number) => {
    const known = tokenStrings.get(id);
    if (known !== undefined) return known;
    const text = tokenizer.decode([id]);
    tokenStrings.set(id, text);
    return text;
  };
  return (x, output) =>
    output.map((m, k) => {
      const sequences = filledSequences(tokenizer, x.ids, x.maskPositions![k]!, m.ids);
      return m.ids.map((id, j) => ({
        score: m.scores[j]!,
        token: id,
        token_str: tokenStr(id),
        sequence: sequences[j]!,
      }));
    });
}

function topKOf(parameters: Readonly<Record<string, unknown>> | undefined): number {
  return Number(parameters?.top_k ?? 5);
}

function fillMaskModel(tokenizer: Tokenizer, maskId: number, maxLength: number): ServedModel {
  const pad = tokenizer.specialIds.pad ?? 1;
  const maskToken = tokenizer.idToToken(maskId) ?? '<mask>';
  return {
    maxLength,
    variantFiles: (files, where) => oneFile(files, where, 'fill-mask'),
    runner(call, makeBatcher): VariantRunner {
      const batcher = makeBatcher<FillMaskItem, FillMaskOutput>(
        (items) => runFillMaskBatch(call, items, pad),
        (item) => item.ids.length,
      );
      const candidates = candidateMaker(tokenizer);
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
        // Work: the tokens each input runs through the model.
        const costs = items.map((x) => x.ids.length);
        const outcomes = await batcher.submitAll(items, costs, io.client);
        io.observe(outcomes, batcher.depth);
        return mapSliced(outcomes, ({ output }, i) => candidates(items[i]!, output));
      };
      return {
        async v1(body: TextBody, texts, io) {
          const answers = await answer(texts, topKOf(body.parameters), io);
          return Array.isArray(body.inputs) ? answers.map(perText) : perText(answers[0]!);
        },
        async v2(texts, parameters, io) {
          const answers = await answer(texts, topKOf(parameters), io);
          return mapSliced(answers, (a) => JSON.stringify(perText(a)));
        },
        runAlone: (work, cost, client) => batcher.runAlone(work, cost, client),
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
