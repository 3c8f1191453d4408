/**
 * MLM accuracy and perplexity of a fill-mask model file (input_ids, attention_mask → logits) on a text file:
 * tokenized with the folder's tokenizer, cut into blocks, masked once with a fixed seed (the same positions for
 * every variant), and scored at the masked positions (arg-max for accuracy, log-softmax of the label for
 * perplexity).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../../errors/index.js';
import { createSession, runSession } from '../../ort/session.js';
import { withStandardInputs } from '../../ort/standard-inputs.js';
import { encodeWithMerges } from '../../tokenizer/encode.js';
import { specialIdsOf } from '../../tokenizer/special-ids.js';
import { readTokenizerModel } from '../../tokenizer/tokenizer-files.js';
import { makeBlocks, mlmEvalBatches } from './batches.js';

export interface FillMaskScores {
  /** Share of masked positions whose arg-max is the label, 0–1. */
  readonly accuracy: number;
  /** exp of the mean negative log-likelihood of the labels. */
  readonly perplexity: number;
}

export async function evaluateFillMask(
  modelFile: string,
  folder: string,
  textFile: string,
  threads: number,
  options: { maxTokens?: number; sequenceLength?: number } = {},
): Promise<FillMaskScores> {
  let text: string;
  try {
    text = readFileSync(textFile, 'utf8');
  } catch (error) {
    throw new TlcError('DATA_INVALID', `${textFile}: cannot read the evaluation text (${messageOf(error)})`, {
      cause: error,
    });
  }
  const tokenizer = await readTokenizerModel(join(folder, 'tokenizer.json'));
  const special = specialIdsOf(tokenizer);
  const length = options.sequenceLength ?? 128;
  const blocks = makeBlocks([Int32Array.from(encodeWithMerges(tokenizer, text))], length, special).slice(
    0,
    Math.max(1, Math.floor((options.maxTokens ?? 16384) / length)),
  );
  const batches = mlmEvalBatches(blocks, { sequenceLength: length, batchSize: 8, special, seed: 1 });
  const session = await createSession(modelFile, { threads, source: modelFile });
  let correct = 0;
  let total = 0;
  let nll = 0;
  try {
    for (const batch of batches) {
      const out = await runSession(
        session,
        withStandardInputs(session, {
          input_ids: batch.inputs.input_ids!,
          attention_mask: batch.inputs.attention_mask!,
        }),
        ['logits'],
      );
      const logits = out.logits!.data as Float32Array;
      const vocab = out.logits!.dims[2]!;
      const positions = batch.inputs.mlm_positions!.data as BigInt64Array;
      const labels = batch.inputs.mlm_labels!.data as BigInt64Array;
      positions.forEach((p, k) => {
        const row = Number(p) * vocab;
        let best = 0;
        for (let v = 1; v < vocab; v++) if (logits[row + v]! > logits[row + best]!) best = v;
        const max = logits[row + best]!;
        let sum = 0;
        for (let v = 0; v < vocab; v++) sum += Math.exp(logits[row + v]! - max);
        nll += Math.log(sum) + max - logits[row + Number(labels[k])]!;
        if (BigInt(best) === labels[k]) correct += 1;
        total += 1;
      });
    }
  } finally {
    await session.release();
  }
  return total === 0
    ? { accuracy: Number.NaN, perplexity: Number.NaN }
    : { accuracy: correct / total, perplexity: Math.exp(nll / total) };
}
