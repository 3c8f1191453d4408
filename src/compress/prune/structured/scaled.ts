/**
 * Scaling by a scalar between the head split and the scores MatMul: DistilBERT divides the split queries by
 * √dh (`q = shape(q_lin(x)) / math.sqrt(dim_per_head)`), other exports scale q (or both q and k by dh^-¼)
 * after the transpose or after folding the heads into the batch. A scalar is the same for every head, so it
 * stays as it is; scaling before the split (Marian, BART) is followed by `projectionOf`.
 */
import type { Node } from '../../../onnx/ir.js';
import { isOp, type Level } from './level.js';

export interface Unscaled {
  /** The value before the scaling (the input of the first Mul/Div). */
  readonly value: string;
  readonly nodes: Node[];
  /** The scaled values (their shapes change with the heads). */
  readonly values: string[];
}

/** Walks back from `value` through Mul/Div by a one-element constant, each the sole reader of its input. */
export function throughScale(level: Level, value: string): Unscaled {
  const nodes: Node[] = [];
  const values: string[] = [];
  let v = value;
  for (;;) {
    const node = level.producer(v)?.node;
    if (!isOp(node, 'Mul') && !isOp(node, 'Div')) break;
    // Mul(x, c) or Mul(c, x); Div(x, c) only (c / x is no scaling)
    const index = isOp(node, 'Mul') && level.constant(node.inputs[0] ?? '') !== undefined ? 0 : 1;
    const c = level.constant(node.inputs[index] ?? '');
    if (c === undefined || c.dims.reduce((a, b) => a * b, 1) !== 1) break;
    const through = node.inputs[1 - index]!;
    if (level.soleConsumer(through) !== node) break;
    nodes.push(node);
    values.push(v);
    v = through;
  }
  return { value: v, nodes, values };
}
