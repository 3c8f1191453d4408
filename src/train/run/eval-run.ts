/**
 * `tlc eval`: the metrics of a run's checkpoint on a split (the test split by default — the only place the test
 * split is read). Rebuilds the evaluation graph from the run's saved settings and tokenizer.
 */
import { join } from 'node:path';
import type { Split } from '../../data/index.js';
import { buildMlmEncoder } from '../../models/encoder.js';
import { buildSeq2Seq } from '../../models/seq2seq.js';
import { withWeights } from '../../models/weights.js';
import { encodeModel } from '../../onnx/io.js';
import type { Tensor } from '../../onnx/ir.js';
import { createSession, runSession } from '../../ort/session.js';
import { TOKENIZER_FILE } from '../../run-folder/files.js';
import { locateCheckpoint } from '../../run-folder/locate.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import { readRunConfig } from '../../run-folder/run-config.js';
import { makeBlocks, mlmEvalBatches } from '../../tasks/fill-mask/batches.js';
import { translationEvalBatches } from '../../tasks/translation/batches.js';
import { specialIdsOf } from '../../tokenizer/special-ids.js';
import { readTokenizerModel } from '../../tokenizer/tokenizer-files.js';
import { Rng } from '../../util/rng.js';
import { readCheckpoint } from '../checkpoint.js';
import { encodeDocuments, encodePairs, mlmDocuments, translationPairs } from './data.js';
import {
  type EvalRunner,
  evaluateMlm,
  evaluateTranslationLoss,
  evaluateTranslationQuality,
} from './evaluate.js';
import { modelConfig } from './loop.js';
import { mlmBaselines } from './mlm-baselines.js';

export interface EvalOptions {
  readonly split?: Split;
  /** Cap on MLM tokens evaluated (default: the whole split). */
  readonly maxTokens?: number;
  readonly threads?: number;
}

export interface EvalReport {
  readonly task: RunConfig['task'];
  readonly split: Split;
  readonly checkpoint: string;
  readonly step: number;
  readonly metrics: Readonly<Record<string, number>>;
}

export async function evaluateRun(target: string, options: EvalOptions = {}): Promise<EvalReport> {
  const { dir, checkpoint } = locateCheckpoint(target);
  const run = readRunConfig(dir);
  const split = options.split ?? 'test';
  const threads = options.threads ?? run.threads;
  const tokenizer = await readTokenizerModel(join(dir, TOKENIZER_FILE));
  const special = specialIdsOf(tokenizer);
  const { meta, tensors } = readCheckpoint(checkpoint);
  const weights = new Map<string, Tensor['data']>([...tensors].map(([name, t]) => [name, t.data]));
  const config = modelConfig(run, tokenizer.tokens.length);
  const built =
    run.task === 'mlm'
      ? buildMlmEncoder(config, { rng: Rng.seeded(0), head: 'loss', dropout: false })
      : buildSeq2Seq(config, { rng: Rng.seeded(0), head: 'loss', dropout: false, labelSmoothing: 0 });
  const session = await createSession(encodeModel(withWeights(built.model, weights)), {
    threads,
    source: checkpoint,
  });
  const runner: EvalRunner = (batch, outputs) => runSession(session, batch.inputs, outputs);
  try {
    let metrics: Record<string, number>;
    if (run.task === 'mlm') {
      const docs = encodeDocuments(tokenizer, await mlmDocuments(run, split));
      let blocks = makeBlocks(docs, run.model.maxLength, special);
      if (options.maxTokens !== undefined)
        blocks = blocks.slice(0, Math.max(1, Math.floor(options.maxTokens / run.model.maxLength)));
      const batchSize = Math.max(1, Math.floor(run.batchTokens / run.model.maxLength));
      const batches = mlmEvalBatches(blocks, {
        sequenceLength: run.model.maxLength,
        batchSize,
        special,
        seed: run.seed,
      });
      const m = await evaluateMlm(runner, batches);
      // The baselines to beat, from the training split's counts, on the same masked tokens.
      const train = encodeDocuments(tokenizer, await mlmDocuments(run, 'train'));
      metrics = {
        loss: m.loss,
        perplexity: m.perplexity,
        accuracy: m.accuracy,
        tokens: m.tokens,
        ...mlmBaselines(train, docs, batches, special, run.model.maxLength),
      };
    } else {
      const raw = await translationPairs(run, split);
      const pairs = encodePairs(tokenizer, raw);
      const options2 = {
        batchTokens: run.batchTokens,
        maxLength: run.model.maxLength,
        special,
        seed: run.seed,
      };
      const loss = await evaluateTranslationLoss(runner, translationEvalBatches(pairs, options2));
      const sources = pairs.map((p) =>
        Int32Array.from([...p.source.subarray(0, run.model.maxLength - 1), special.eos]),
      );
      const quality = await evaluateTranslationQuality(raw, sources, {
        config,
        weights,
        tokenizer,
        special,
        threads,
      });
      metrics = {
        loss: loss.loss,
        perplexity: loss.perplexity,
        bleu: quality.bleu,
        chrf: quality.chrf,
        sentences: quality.sentences,
      };
    }
    return { task: run.task, split, checkpoint, step: meta.step, metrics };
  } finally {
    await session.release();
  }
}
