/**
 * Readers beside an attention block's own nodes that pruning heads cannot disturb: PyTorch exports of
 * transformers' `x.size()[:-1] + (heads, head_dim)` read the batch and sequence sizes of a projection's output
 * (and of the transposed context) through Shape → Gather.
 */
import { getInt } from '../../../onnx/attributes.js';
import type { Node } from '../../../onnx/ir.js';
import { isOp, type Level } from './level.js';

/**
 * A Shape of a projection's output (or of the transposed context) whose every reader takes only its leading (batch and sequence) dimensions —
 * Gather of index 0 or 1, as transformers' `x.size()[:-1] + (heads, head_dim)` exports — so that pruning the
 * projection's columns changes nothing it computes.
 */
export function readsLeadingDims(level: Level, node: Node): boolean {
  if (!isOp(node, 'Shape') || getInt(node, 'start', 0) !== 0) return false;
  const out = node.outputs[0]!;
  const readers = level.consumers(out);
  return (
    readers.length > 0 &&
    !level.index.isGraphOutput(out) &&
    readers.every((g) => {
      if (!isOp(g, 'Gather') || getInt(g, 'axis', 0) !== 0 || g.inputs[0] !== out) return false;
      const at = level.ints(g.inputs[1] ?? '');
      return at !== undefined && at.length === 1 && (at[0] === 0 || at[0] === 1);
    })
  );
}
