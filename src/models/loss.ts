/**
 * Cross-entropy with optional label smoothing, built from SoftmaxCrossEntropyLoss (whose gradient rule
 * covers both of its outputs):  loss = (1 − ε)·CE + ε·(mean over counted tokens of −mean over classes of log p).
 * Tokens whose label is `ignoreIndex` count in neither term.
 */
import { attr } from '../onnx/attributes.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { type DataType, DataType as DT } from '../onnx/dtype.js';

export interface CrossEntropyOptions {
  readonly ignoreIndex: number;
  /** ε in [0, 1); 0 gives plain cross-entropy. */
  readonly labelSmoothing: number;
  readonly floatType: DataType;
  /** Name of the loss output. */
  readonly name?: string;
}

/** logits [N, C] (or [N, C, D…]), labels [N] (or [N, D…]) int64 → scalar loss. */
export function crossEntropy(
  b: GraphBuilder,
  logits: string,
  labels: string,
  o: CrossEntropyOptions,
): string {
  const eps = o.labelSmoothing;
  const lossName = o.name ?? 'loss';
  const [ce, logProb] = b.opMulti(
    'SoftmaxCrossEntropyLoss',
    [logits, labels],
    { ignore_index: attr.int(o.ignoreIndex) },
    {
      name: 'cross_entropy',
      outputs: eps === 0 ? [lossName, b.availableName('log_prob')] : 2,
    },
  );
  if (eps === 0) return ce!;
  const c = (v: number) => b.constantOf(o.floatType, [], [v]);
  const counted = b.op(
    'Cast',
    [b.op('Not', [b.op('Equal', [labels, b.constantOf(DT.INT64, [], [o.ignoreIndex])])])],
    {
      to: attr.int(o.floatType),
    },
  );
  const perToken = b.op('ReduceMean', [logProb!], { axes: attr.ints([1]), keepdims: attr.int(0) });
  const total = b.op('ReduceSum', [b.op('Mul', [perToken, counted])], { keepdims: attr.int(0) });
  const count = b.op('Max', [b.op('ReduceSum', [counted], { keepdims: attr.int(0) }), c(1)]);
  const smooth = b.op('Neg', [b.op('Div', [total, count])]);
  return b.op(
    'Add',
    [b.op('Mul', [ce!, c(1 - eps)]), b.op('Mul', [smooth, c(eps)])],
    {},
    { name: 'label_smoothing', outputs: [lossName] },
  );
}
