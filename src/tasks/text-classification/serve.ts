/**
 * Text classification as served: texts in, the pipeline's labels and scores out, in the shape transformers.js's
 * `text-classification` pipeline gives — per input its `top_k` best `{ label, score }` (one input and `top_k` 1:
 * `[{ label, score }]`; several inputs and `top_k` 1: one object per input; `top_k` > 1: a list per input).
 * `function_to_apply` as Hugging Face defines it (softmax, or sigmoid for multi-label; `none`: the logits).
 */
import type { Tokenizer } from '../../tokenizer/tokenizer.js';
import { oneFile } from '../encoder-inputs.js';
import { TRUNCATION } from '../parameters.js';
import type { RequestIo, ServedModel, ServingSpec, TextBody, VariantRunner, WorkerCall } from '../spec.js';
import { textClassificationAbout } from './about.js';
import {
  type ClassifierLabels,
  defaultScoreFunction,
  labelName,
  readLabels,
  type ScoreFunction,
  scoreRow,
} from './labels.js';
import { type ClassifyResult, classifyRequest } from './worker.js';

export interface LabelScore {
  readonly label: string;
  readonly score: number;
}

/** The logits of each item of a batch, from one worker call. */
async function classifyBatch(
  call: WorkerCall,
  items: readonly Int32Array[],
  pad: number,
): Promise<Float32Array[]> {
  const request = classifyRequest(items, pad);
  // The worker answers a classify request with this task's result (classifyWorker.run).
  const r = (await call(request)) as ClassifyResult;
  return items.map((_, k) => r.logits.slice(k * r.classes, (k + 1) * r.classes));
}

interface Asked {
  readonly topK: number;
  readonly fn: ScoreFunction | undefined;
}

function askedOf(parameters: Readonly<Record<string, unknown>> | undefined): Asked {
  const fn = parameters?.function_to_apply;
  return {
    topK: Number(parameters?.top_k ?? 1),
    fn: typeof fn === 'string' ? (fn as ScoreFunction) : undefined, // openapi.yaml and checkParameters hold the enum
  };
}

/** One input's best `topK` labels, highest score first. */
function ranked(labels: ClassifierLabels, logits: Float32Array, asked: Asked): LabelScore[] {
  const scores = scoreRow(logits, asked.fn ?? defaultScoreFunction(labels, logits.length));
  return [...scores.keys()]
    .sort((a, b) => scores[b]! - scores[a]!)
    .slice(0, asked.topK)
    .map((i) => ({ label: labelName(labels, i), score: scores[i]! }));
}

/** transformers.js's shape: `top_k` 1 flattens to one object per input. */
function shaped(answers: LabelScore[][], topK: number, many: boolean): unknown {
  if (topK === 1) return answers.map((a) => a[0]!);
  return many ? answers : answers[0]!;
}

function classifierModel(dir: string, tokenizer: Tokenizer, maxLength: number): ServedModel {
  const labels = readLabels(dir);
  const pad = tokenizer.specialIds.pad ?? 0;
  return {
    maxLength,
    variantFiles: (files, where) => oneFile(files, where, 'classifier'),
    runner(call, makeBatcher): VariantRunner {
      const batcher = makeBatcher<Int32Array, Float32Array>(
        (items) => classifyBatch(call, items, pad),
        (item) => item.length,
      );
      const answer = async (
        texts: readonly string[],
        asked: Asked,
        io: RequestIo,
      ): Promise<LabelScore[][]> => {
        const items = io.tokenize(texts, (text) => tokenizer.encode(text));
        io.checkAnswerSize(items.length * asked.topK, 'labels (inputs × top_k)');
        // Work: the tokens each input runs through the model.
        const outcomes = await batcher.submitAll(
          items,
          items.map((x) => x.length),
          io.client,
        );
        io.observe(outcomes, batcher.depth);
        return outcomes.map(({ output }) => ranked(labels, output, asked));
      };
      return {
        async v1(body: TextBody, texts, io) {
          const asked = askedOf(body.parameters);
          return shaped(await answer(texts, asked, io), asked.topK, Array.isArray(body.inputs));
        },
        async v2(texts, parameters, io) {
          const asked = askedOf(parameters);
          const answers = await answer(texts, asked, io);
          return answers.map((a) => JSON.stringify(shaped([a], asked.topK, false)));
        },
        runAlone: (work, cost, client) => batcher.runAlone(work, cost, client),
        async warmUp() {
          // Straight to a worker, not through the batcher: concurrent warm-ups then reach every worker.
          await classifyBatch(call, [Int32Array.from(tokenizer.encode('hello world'))], pad);
        },
        idle: () => batcher.idle(),
      };
    },
  };
}

export const classifyServing: ServingSpec = {
  route: textClassificationAbout.route,
  v2Output: 'labels',
  parameters: {
    type: 'object',
    properties: {
      top_k: { type: 'integer', minimum: 1, maximum: 1000 },
      function_to_apply: {
        type: 'string',
        enum: ['softmax', 'sigmoid', 'none'],
        description:
          'How scores come from the logits; by default softmax, or sigmoid for a multi-label model (config.json problem_type) or a single output; none gives the logits.',
      },
      truncation: TRUNCATION,
    },
  },
  open: (dir, tokenizer, maxLength) => classifierModel(dir, tokenizer, maxLength),
};
