/**
 * `tlc eval`: the metrics of a run's checkpoint on a split (the test split by default — the only place the test
 * split is read). Rebuilds the evaluation graph from the run's saved settings and tokenizer.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Split } from '../../data/index.js';
import { withWeights } from '../../models/weights.js';
import { encodeModel } from '../../onnx/io.js';
import type { Tensor } from '../../onnx/ir.js';
import { createSession, runSession } from '../../ort/session.js';
import { TOKENIZER_FILE } from '../../run-folder/files.js';
import { locateCheckpoint } from '../../run-folder/locate.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import { modelConfig, readRunConfig } from '../../run-folder/run-config.js';
import { taskForRun } from '../../tasks/index.js';
import type { EvalRunner } from '../../tasks/spec.js';
import { specialIdsOf } from '../../tokenizer/special-ids.js';
import { readTokenizerModel } from '../../tokenizer/tokenizer-files.js';
import { readCheckpoint } from '../checkpoint.js';

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
  /** Files the evaluation wrote into the run folder (a classifier's confusion matrix). */
  readonly files: readonly string[];
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
  const spec = taskForRun(run.task).training;
  const built = spec.lossGraph(config, run);
  const session = await createSession(encodeModel(withWeights(built.model, weights)), {
    threads,
    source: checkpoint,
  });
  const runner: EvalRunner = (batch, outputs) => runSession(session, batch.inputs, outputs);
  const files: string[] = [];
  try {
    const metrics = await spec.evaluateSplit({
      run,
      split,
      tokenizer,
      special,
      runner,
      weights,
      threads,
      writeReport: (file, value) => {
        writeFileSync(join(dir, file), `${JSON.stringify(value, null, 2)}\n`);
        files.push(join(dir, file));
      },
      ...(options.maxTokens !== undefined && { maxTokens: options.maxTokens }),
    });
    return { task: run.task, split, checkpoint, step: meta.step, metrics, files };
  } finally {
    await session.release();
  }
}
