/**
 * The `MatMul → Add(bias)` pattern of linear layers (PyTorch's Linear on 3-D inputs, TLC's `name/MatMul` +
 * `name/Add`): when the MatMul's only reader is an Add of a constant 1-D [N] float bias, a quantized MatMul
 * with a bias input can replace both nodes.
 */
import type { Node } from '../../onnx/ir.js';
import { type HandlerContext, type Note, nodeLabel } from './rewrite.js';
import { constantBias } from './weights.js';

export interface BiasFold {
  readonly add: Node;
  /** The bias value name (an existing constant, referenced as is). */
  readonly bias: string;
  /** The Add's output: the replacement's output takes this name. */
  readonly output: string;
}

/**
 * Looks for a foldable bias Add after `producer` (output 0) for N outputs. Returns the fold, or a declined
 * note when an Add of a constant is there but cannot be folded, or neither when there is no such Add.
 */
export function findBiasAdd(
  ctx: HandlerContext,
  producer: Node,
  n: number,
): { readonly fold?: BiasFold; readonly note?: Note } {
  const y = producer.outputs[0];
  if (y === undefined || y === '' || ctx.index.isGraphOutput(y)) return {};
  const readers = ctx.index.consumersOf(y);
  if (readers.length !== 1) return {};
  const add = readers[0]!;
  if (add.opType !== 'Add' || (add.domain !== '' && add.domain !== 'ai.onnx') || add.inputs.length !== 2)
    return {};
  const other = add.inputs[0] === y ? add.inputs[1] : add.inputs[0];
  if (other === undefined || other === y || ctx.constant(other) === undefined) return {};
  const decline = (detail: string) => ({
    note: { kind: 'declined' as const, target: nodeLabel(add), detail },
  });
  if (!ctx.selected(add)) return decline('bias Add not folded: the node selection excludes it');
  const bias = constantBias(ctx, other, n);
  if (!bias.ok) return decline(`bias Add not folded: ${bias.reason}`);
  return { fold: { add, bias: other, output: add.outputs[0]! } };
}
