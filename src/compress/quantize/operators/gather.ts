/**
 * Gather handler: an embedding lookup (axis 0) in a constant float table [V, D] becomes a lookup in an int8
 * table with one scale per row. A Gather over anything else (shape values, indices) is not a candidate.
 *
 * Layouts (EmbeddingLayout): 'gather-dequantize' looks up int8 rows and their scales ([V, 1], so the
 * gathered scales broadcast over D) and dequantizes only those rows (Cast + Mul); 'dequantize-gather' puts
 * DequantizeLinear(table, scale [V], axis 0) before the Gather. dynamic-int8.ts records why the first is
 * the default.
 */
import { attr, getInt } from '../../../onnx/attributes.js';
import { DataType } from '../../../onnx/dtype.js';
import { declineWith, type Handler, type HandlerContext, makeNode, SKIP } from '../rewrite.js';
import type { DynamicInt8Settings } from '../settings.js';
import { constantMatrix, derivedFloat, int8RowTable } from '../weights.js';
import { readByTransposedMatMul } from './matmul-transposed.js';

/** Whether a selected Gemm(transB=1) reads the table as its weight: then gemm.ts shares the int8 table. */
function sharedWithGemm(ctx: HandlerContext, table: string): boolean {
  return ctx.index
    .consumersOf(table)
    .some(
      (n) =>
        n.opType === 'Gemm' &&
        n.domain === '' &&
        n.inputs[1] === table &&
        getInt(n, 'transB', 0) !== 0 &&
        getInt(n, 'transA', 0) === 0 &&
        ctx.selected(n),
    );
}

export const gatherInt8: Handler<DynamicInt8Settings> = (node, ctx, options) => {
  const [data, indices] = node.inputs;
  if (data === undefined || indices === undefined || indices === '') return SKIP;
  const table = ctx.constant(data);
  if (table === undefined || table.dataType !== DataType.FLOAT) return SKIP;
  if (!options.embeddings) return declineWith('embedding quantization is off (embeddings: false)');
  const check = constantMatrix(ctx, data, 'table');
  if (!check.ok) return declineWith(check.reason);
  const m = check.matrix;
  const axis = getInt(node, 'axis', 0);
  if (axis !== 0 && axis !== -2) return declineWith(`axis ${axis}: only row lookups (axis 0) are quantized`);
  // A table only gathered from never meets an integer GEMM: full 8-bit. One shared with a tied projection
  // (gemm.ts, or matmul-transposed.ts, reads the same int8 table, transposed) takes the GEMM's coding.
  const tied = sharedWithGemm(ctx, m.name) || readByTransposedMatMul(ctx, m.name);
  const q = int8RowTable(ctx, m, tied ? options.weightCoding : 'full');
  const output = node.outputs[0]!;
  const base = node.name || 'Gather';
  if (options.embeddingLayout === 'dequantize-gather') {
    const opset = ctx.opset('');
    if (opset !== undefined && opset < 13)
      return declineWith(`per-row DequantizeLinear needs opset 13, the model imports ${opset}`);
    const dequantized = ctx.memo(`dequantize-table/${q.data.name}`, () =>
      makeNode(
        ctx,
        `${m.name}_DequantizeLinear`,
        'DequantizeLinear',
        [q.data.name, q.scale.name],
        [ctx.fresh(`${m.name}_dequantized`)],
        { axis: attr.int(0) },
      ),
    );
    const gather = makeNode(ctx, `${base}_quant`, 'Gather', [dequantized.outputs[0]!, indices], [output], {
      axis: attr.int(0),
    });
    return {
      kind: 'rewrite',
      rewrite: {
        remove: [node],
        add: [dequantized, gather],
        initializers: [q.data, q.scale],
        detail: `int8 table [${m.rows}, ${m.cols}] per row, DequantizeLinear before the Gather`,
      },
    };
  }
  const scales = q.scale.data as Float32Array;
  const column = derivedFloat(
    ctx,
    `row-scales/${q.scale.name}`,
    `${q.scale.name}_rows`,
    [m.rows, 1],
    () => scales,
  );
  const rows = ctx.fresh(`${output}_int8`);
  const rowScales = ctx.fresh(`${output}_scale`);
  const asFloat = ctx.fresh(`${output}_float`);
  const nodes = [
    makeNode(ctx, `${base}_quant`, 'Gather', [q.data.name, indices], [rows], { axis: attr.int(0) }),
    makeNode(ctx, `${base}_scale`, 'Gather', [column.name, indices], [rowScales], { axis: attr.int(0) }),
    makeNode(ctx, `${base}_cast`, 'Cast', [rows], [asFloat], { to: attr.int(DataType.FLOAT) }),
    makeNode(ctx, `${base}_dequantize`, 'Mul', [asFloat, rowScales], [output]),
  ];
  return {
    kind: 'rewrite',
    rewrite: {
      remove: [node],
      add: nodes,
      initializers: [q.data, column],
      detail: `int8 table [${m.rows}, ${m.cols}] per row, rows dequantized after the Gather`,
    },
  };
};
