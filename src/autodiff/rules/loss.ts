/** Gradient of SoftmaxCrossEntropyLoss (mean / sum / none, ignore_index), including flow through log_prob. */
import { attr, getInt, getString, hasAttr } from '../../onnx/attributes.js';
import { DataType } from '../../onnx/dtype.js';
import type { GradRule } from '../context.js';
import { logSoftmaxBackward } from './normalization.js';

export const LOSS_RULES: Readonly<Record<string, GradRule>> = {
  SoftmaxCrossEntropyLoss: (ctx, { node, outputGrads: [gLoss, gLogProb] }) => {
    const [scores, labels, weights] = node.inputs as [string, string, string?];
    if (weights) ctx.fail(node, 'class weights are not supported');
    const reduction = getString(node, 'reduction', 'mean');
    const logProb = node.outputs[1] || ctx.op('LogSoftmax', [scores], { axis: attr.int(1) });
    if (!node.outputs[1]) ctx.assume(logProb, ctx.shape(scores), scores);
    const parts: string[] = [];
    if (gLoss) {
      const type = ctx.elemType(scores);
      let safe = labels;
      let mask: string | undefined;
      if (hasAttr(node, 'ignore_index')) {
        const ignored = ctx.op('Equal', [labels, ctx.int64s([getInt(node, 'ignore_index')])]);
        const keep = ctx.op('Not', [ignored]);
        mask = ctx.op('Cast', [keep], { to: attr.int(type) });
        safe = ctx.op('Where', [keep, labels, ctx.int64s([0])]);
      }
      // softmax − onehot(labels), without materialising the one-hot tensor: subtract 1 at each label.
      const at = ctx.op('Unsqueeze', [
        ctx.op('Cast', [safe], { to: attr.int(DataType.INT64) }),
        ctx.int64s([1]),
      ]);
      const minusOne = ctx.op('Expand', [ctx.scalar(-1, scores), ctx.op('Shape', [at])]);
      let d = ctx.op('ScatterElements', [ctx.op('Exp', [logProb]), at, minusOne], {
        axis: attr.int(1),
        reduction: attr.string('add'),
      });
      // Per-element weight: the ignore mask, and for reduction 'none' the incoming gradient itself.
      let weight: string | undefined = mask;
      if (reduction === 'none') weight = weight ? ctx.op('Mul', [weight, gLoss]) : gLoss;
      if (weight) d = ctx.op('Mul', [d, ctx.op('Unsqueeze', [weight, ctx.int64s([1])])]);
      if (reduction === 'mean') {
        const count = mask
          ? ctx.reduceSum(mask, [...Array(ctx.rank(labels)).keys()], false)
          : ctx.count(labels, scores);
        d = ctx.op('Mul', [d, ctx.op('Div', [gLoss, count])]);
      } else if (reduction === 'sum') d = ctx.op('Mul', [d, gLoss]);
      else if (reduction !== 'none') ctx.fail(node, `unknown reduction "${reduction}"`);
      parts.push(d);
    }
    if (gLogProb) parts.push(logSoftmaxBackward(ctx, gLogProb, logProb, 1));
    const total = parts.length === 1 ? parts[0]! : ctx.op('Sum', parts);
    return [total, null, ...(weights === undefined ? [] : [null])];
  },
};
