/**
 * MatMul handlers: Y = A · B with B a constant float [K, N] matrix (and optionally the `Add(bias [N])` after
 * it). A MatMul of two activations (attention scores) is declined: only weights are quantized ahead of time.
 */

import type { Node } from '../../../onnx/ir.js';
import { findBiasAdd } from '../bias.js';
import { quantizeNBits } from '../blockwise.js';
import { emitDynamicQuantizeMatMul, emitMatMulNBits, emitQdqMatMul } from '../emit.js';
import { declineWith, type Handler, type HandlerContext, type HandlerResult, type Note } from '../rewrite.js';
import {
  activationQuant,
  type DynamicInt8Settings,
  type NBitsSettings,
  type StaticQdqSettings,
} from '../settings.js';
import { type ConstantMatrix, constantMatrix, int8MatMulWeight } from '../weights.js';
import { TIED_HEAD_INT8 } from './gemm.js';
import { matchTransposedWeight, readByGather, transposedDynamicInt8 } from './matmul-transposed.js';

interface Matched {
  readonly a: string;
  readonly m: ConstantMatrix;
}

function matchWeight(node: Node, ctx: HandlerContext): Matched | HandlerResult {
  const [a, b] = node.inputs;
  if (a === undefined || b === undefined || a === '') return declineWith('MatMul needs two inputs');
  const check = constantMatrix(ctx, b, 'weight B');
  if (!check.ok) return declineWith(check.reason);
  return { a, m: check.matrix };
}

function isMatched(x: Matched | HandlerResult): x is Matched {
  return 'm' in x;
}

function notes(note: Note | undefined): readonly Note[] {
  return note === undefined ? [] : [note];
}

export const matmulDynamicInt8: Handler<DynamicInt8Settings> = (node, ctx, options) => {
  const transposed = matchTransposedWeight(node, ctx);
  if (transposed !== undefined) return transposedDynamicInt8(node, ctx, options, transposed);
  const matched = matchWeight(node, ctx);
  if (!isMatched(matched)) return matched;
  const { a, m } = matched;
  const w = int8MatMulWeight(ctx, m, 'kn', options.weightCoding);
  const { fold, note } = options.foldBias ? findBiasAdd(ctx, node, m.cols) : {};
  const emitted = emitDynamicQuantizeMatMul(ctx, {
    base: node.name || 'MatMul',
    a,
    weight: w.data.name,
    scale: w.scale.name,
    n: m.cols,
    ...(fold && { bias: fold.bias }),
    output: fold?.output ?? node.outputs[0]!,
    zeroPoint: options.weightZeroPoint,
  });
  return {
    kind: 'rewrite',
    rewrite: {
      remove: fold ? [node, fold.add] : [node],
      add: emitted.nodes,
      initializers: [w.data, w.scale, ...emitted.initializers],
      detail: `DynamicQuantizeMatMul, int8 weight [${m.rows}, ${m.cols}] per column${fold ? ', bias folded' : ''}`,
    },
    notes: notes(note),
  };
};

export const matmulStaticQdq: Handler<StaticQdqSettings> = (node, ctx, options) => {
  const matched = matchWeight(node, ctx);
  if (!isMatched(matched)) return matched;
  const { a, m } = matched;
  const opset = ctx.opset('');
  if (opset !== undefined && opset < 13)
    return declineWith(`per-column DequantizeLinear needs opset 13, the model imports ${opset}`);
  const act = activationQuant(options, a);
  if (!act.ok) return declineWith(act.reason);
  const w = int8MatMulWeight(ctx, m, 'kn', options.weightCoding);
  const emitted = emitQdqMatMul(ctx, {
    base: node.name || 'MatMul',
    x: a,
    activation: act.quant,
    weight: w.data,
    scale: w.scale,
    output: node.outputs[0]!,
  });
  return {
    kind: 'rewrite',
    rewrite: {
      remove: [node],
      add: emitted.nodes,
      initializers: emitted.initializers,
      detail: `QDQ MatMul: ${act.quant.type} activation (scale ${act.quant.params.scale.toPrecision(4)}), int8 weight per column`,
    },
  };
};

export const matmulNBits: Handler<NBitsSettings> = (node, ctx, s) => {
  // A decoder's tied head over Transpose(table) stays int8, sharing the Gather's table, as gemm.ts's does.
  const transposed = matchTransposedWeight(node, ctx);
  if (transposed !== undefined && readByGather(ctx, transposed.m.name))
    return transposedDynamicInt8(node, ctx, TIED_HEAD_INT8, transposed);
  const matched = matchWeight(node, ctx);
  if (!isMatched(matched)) return matched;
  const { a, m } = matched;
  const weight = ctx.memo(`nbits-weight/kn/${s.bits}/${s.blockSize}/${s.symmetric}/${m.name}`, () =>
    quantizeNBits(m.values, m.rows, m.cols, 'kn', s),
  );
  const { fold, note } = s.foldBias ? findBiasAdd(ctx, node, m.cols) : {};
  const emitted = emitMatMulNBits(ctx, {
    base: node.name || 'MatMul',
    a,
    weight,
    stem: m.name,
    layout: 'kn',
    alpha: 1,
    ...(fold && { bias: fold.bias }),
    output: fold?.output ?? node.outputs[0]!,
    accuracyLevel: s.accuracyLevel,
  });
  return {
    kind: 'rewrite',
    rewrite: {
      remove: fold ? [node, fold.add] : [node],
      add: emitted.nodes,
      initializers: emitted.initializers,
      detail: `MatMulNBits ${s.bits}-bit, block ${s.blockSize}, ${s.symmetric ? 'symmetric' : 'with zero points'}, accuracy_level ${s.accuracyLevel}${fold ? ', bias folded' : ''}`,
    },
    notes: notes(note),
  };
};
