/**
 * A sequence classifier over TLC's encoder, with RoBERTa's classification head: the first token's final hidden
 * state → dropout → dense (D → D) → tanh → dropout → out_proj (D → labels). The encoder's parameters keep the MLM
 * encoder's names, so a pretrained MLM checkpoint initialises them as they are (its vocabulary head is not used);
 * the head's are `classifier.dense.*` and `classifier.out_proj.*`, as in transformers' RobertaClassificationHead.
 */
import { DataType } from '../onnx/dtype.js';
import type { Rng } from '../util/rng.js';
import type { TransformerConfig } from './config.js';
import { createModelContext, type ModelContext } from './context.js';
import { type BuiltModel, encodedTokens } from './encoder.js';
import { linear } from './layers.js';
import { crossEntropy } from './loss.js';

export interface ClassifierOptions {
  readonly rng: Rng;
  /** Number of classes. */
  readonly labels: number;
  /** 'loss': takes `labels` [batch] and returns the mean cross-entropy; 'logits': returns logits [batch, labels]. */
  readonly head: 'loss' | 'logits';
  /** Dropout masks as inputs (training); without it the graph has no dropout. */
  readonly dropout: boolean;
  readonly opset?: number;
}

/** The head over the first token of `x` [B, S, D]: logits [B, labels]. */
function classificationHead(m: ModelContext, x: string, labels: number): string {
  const d = m.config.dModel;
  const b = m.b;
  const first = b.op(
    'Slice',
    [x, m.int64s([0]), m.int64s([1]), m.int64s([1])],
    {},
    { name: 'classifier/first' },
  );
  const pooled = b.op('Reshape', [first, m.int64s([-1, d])]);
  const dropped = m.dropout(pooled, m.config.dropout, ['batch', d], 'classifier.in');
  const hidden = b.op('Tanh', [linear(m, dropped, 'classifier.dense', d, d)]);
  const out = m.dropout(hidden, m.config.dropout, ['batch', d], 'classifier.hidden');
  return linear(m, out, 'classifier.out_proj', d, labels);
}

const namedLogits = (m: ModelContext, logits: string): string =>
  m.b.op('Identity', [logits], {}, { name: 'classifier/logits', outputs: ['logits'] });

export function buildSequenceClassifier(config: TransformerConfig, options: ClassifierOptions): BuiltModel {
  const m = createModelContext(
    config,
    options.rng,
    { training: options.head === 'loss', dropout: options.dropout },
    options.opset,
  );
  const b = m.b;
  const logits = classificationHead(m, encodedTokens(m).states, options.labels);
  if (options.head === 'loss') {
    const labels = b.input('labels', DataType.INT64, ['batch']);
    const loss = crossEntropy(b, logits, labels, {
      ignoreIndex: -100,
      labelSmoothing: 0,
      floatType: m.floatType,
    });
    b.output(loss, { elemType: m.floatType, shape: [] });
    // For evaluation (accuracy, F1); training graphs drop it with the other unused nodes.
    b.output(namedLogits(m, logits), { elemType: m.floatType, shape: ['batch', options.labels] });
    return { model: b.toModel(), params: m.params, dropoutSites: m.dropoutSites, loss };
  }
  b.output(namedLogits(m, logits), { elemType: m.floatType, shape: ['batch', options.labels] });
  return { model: b.toModel(), params: m.params, dropoutSites: m.dropoutSites };
}
