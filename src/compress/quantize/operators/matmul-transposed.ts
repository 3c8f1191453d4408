/**
 * MatMul(A, Transpose(W)) with W a constant float [N, K] matrix: the tied output projection of a seq2seq decoder
 * (logits = h · Eᵀ over the shared embedding table E), which TLC's decoders and PyTorch exports write as a
 * Transpose of the table rather than a Gemm with transB. Before this handler the projection stayed float and the
 * decoder kept the float table beside the Gather's int8 one (46% of fp32 for int8 of a 5 + 5 × 256 model, whose
 * table is 8.2 MB of each decoder file).
 *
 * Quantized per row of W (a column of B), like a Gemm with transB. When a Gather also reads W (a tied table), both
 * share one int8 table [N, K] and a Transpose that ONNX Runtime folds at load; otherwise B is stored transposed.
 * The Transpose is removed with the MatMul when this MatMul is its only reader.
 */
import { attr, getInts } from '../../../onnx/attributes.js';
import type { Node, Tensor } from '../../../onnx/ir.js';
import { findBiasAdd } from '../bias.js';
import { emitDynamicQuantizeMatMul } from '../emit.js';
import { type HandlerContext, type HandlerResult, makeNode } from '../rewrite.js';
import type { DynamicInt8Settings } from '../settings.js';
import { type ConstantMatrix, constantMatrix, int8MatMulWeight, int8RowTable } from '../weights.js';

export interface TransposedWeight {
  readonly a: string;
  /** W as stored: [N, K]. */
  readonly m: ConstantMatrix;
  readonly transpose: Node;
}

/** B produced by a 2-D Transpose (perm [1, 0]) of a constant float matrix, or undefined. */
export function matchTransposedWeight(node: Node, ctx: HandlerContext): TransposedWeight | undefined {
  const [a, b] = node.inputs;
  if (a === undefined || a === '' || b === undefined || b === '') return undefined;
  const producer = ctx.index.producer(b)?.node;
  if (producer === undefined || producer.opType !== 'Transpose' || producer.domain !== '') return undefined;
  const check = constantMatrix(ctx, producer.inputs[0], 'weight');
  if (!check.ok) return undefined;
  const perm = getInts(producer, 'perm');
  if (perm !== undefined && !(perm.length === 2 && perm[0] === 1 && perm[1] === 0)) return undefined;
  return { a, m: check.matrix, transpose: producer };
}

/** Whether a selected MatMul reads `table` through a 2-D Transpose as its B (gather.ts then takes the GEMM coding). */
export function readByTransposedMatMul(ctx: HandlerContext, table: string): boolean {
  return ctx.index.consumersOf(table).some((t) => {
    if (t.opType !== 'Transpose' || t.domain !== '' || t.inputs[0] !== table) return false;
    const perm = getInts(t, 'perm');
    if (perm !== undefined && !(perm.length === 2 && perm[0] === 1 && perm[1] === 0)) return false;
    return ctx.index
      .consumersOf(t.outputs[0]!)
      .some(
        (mm) =>
          mm.opType === 'MatMul' && mm.domain === '' && mm.inputs[1] === t.outputs[0] && ctx.selected(mm),
      );
  });
}

/** Whether a selected Gather (axis 0) reads `table`: a tied embedding. */
export function readByGather(ctx: HandlerContext, table: string): boolean {
  return ctx.index
    .consumersOf(table)
    .some((n) => n.opType === 'Gather' && n.domain === '' && n.inputs[0] === table && ctx.selected(n));
}

export function transposedDynamicInt8(
  node: Node,
  ctx: HandlerContext,
  options: DynamicInt8Settings,
  { a, m, transpose }: TransposedWeight,
): HandlerResult {
  // Output n of B = row n of W: per-row scales of W are B's per-column scales.
  const n = m.rows;
  const extraNodes: Node[] = [];
  const tensors: Tensor[] = [];
  let weight: string;
  let scale: Tensor;
  let how: string;
  if (options.embeddings && readByGather(ctx, m.name)) {
    const table = int8RowTable(ctx, m, options.weightCoding);
    const t = ctx.memo(`transpose/${table.data.name}`, () =>
      makeNode(
        ctx,
        `${m.name}_Transpose`,
        'Transpose',
        [table.data.name],
        [ctx.fresh(`${table.data.name}_t`)],
        {
          perm: attr.ints([1, 0]),
        },
      ),
    );
    extraNodes.push(t);
    tensors.push(table.data, table.scale);
    weight = t.outputs[0]!;
    scale = table.scale;
    how = 'tied table shared with its Gather (Transpose folded at load)';
  } else {
    const w = int8MatMulWeight(ctx, m, 'nk', options.weightCoding);
    tensors.push(w.data, w.scale);
    weight = w.data.name;
    scale = w.scale;
    how = 'Transpose folded into the constant';
  }
  const { fold, note } = options.foldBias ? findBiasAdd(ctx, node, n) : {};
  const emitted = emitDynamicQuantizeMatMul(ctx, {
    base: node.name || 'MatMul',
    a,
    weight,
    scale: scale.name,
    n,
    ...(fold && { bias: fold.bias }),
    output: fold?.output ?? node.outputs[0]!,
    zeroPoint: options.weightZeroPoint,
  });
  const onlyReader = ctx.index.consumersOf(transpose.outputs[0]!).every((c) => c === node);
  return {
    kind: 'rewrite',
    rewrite: {
      remove: [node, ...(fold ? [fold.add] : []), ...(onlyReader ? [transpose] : [])],
      add: [...extraNodes, ...emitted.nodes],
      initializers: [...tensors, ...emitted.initializers],
      detail: `DynamicQuantizeMatMul, int8 weight [${m.cols}, ${m.rows}], ${how}${fold ? ', bias folded' : ''}`,
    },
    ...(note !== undefined && { notes: [note] }),
  };
}
