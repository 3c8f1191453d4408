/** Masked-LM loss, perplexity and accuracy of the evaluation graph on fixed batches (validation and tlc eval). */
import { MlmMetricsAccumulator } from '../../eval/metrics/mlm.js';
import type { Batch, EvalRunner } from '../spec.js';

export interface MlmMetrics {
  readonly loss: number;
  readonly perplexity: number;
  readonly accuracy: number;
  readonly tokens: number;
}

export async function evaluateMlm(run: EvalRunner, batches: readonly Batch[]): Promise<MlmMetrics> {
  const acc = new MlmMetricsAccumulator();
  for (const batch of batches) {
    const out = await run(batch, ['loss', 'mlm_predictions']);
    acc.add({
      labels: batch.inputs.mlm_labels!.data as BigInt64Array,
      predictions: out.mlm_predictions!.data as BigInt64Array,
      meanLoss: Number(out.loss!.data[0]),
    });
  }
  const r = acc.result();
  return { loss: r.meanNll, perplexity: r.perplexity, accuracy: r.accuracy, tokens: r.lossTokens };
}
