/**
 * Every gradient rule against central finite differences through ONNX Runtime, broadcast shapes included:
 * float64 (relative error < 1e-6) where ORT's CPU kernels take double, float32 (< 1e-2) where they do not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attr } from '../../src/onnx/attributes.js';
import { DataType } from '../../src/onnx/dtype.js';
import { tensorFromNumbers } from '../../src/onnx/tensor.js';
import { checkGradient, type FloatType, type GradCase } from './check-gradient.js';

const F64 = DataType.DOUBLE;
const F32 = DataType.FLOAT;

/** A constant tensor of the case's float type. */
const konst = (b: Parameters<GradCase['build']>[0], t: FloatType, dims: number[], values: number[]) =>
  b.constant(tensorFromNumbers('k', t, dims, values));
const ints = (b: Parameters<GradCase['build']>[0], values: number[]) =>
  b.constant(tensorFromNumbers('i', DataType.INT64, [values.length], values));

interface Row {
  readonly name: string;
  readonly type: FloatType;
  readonly case: GradCase;
}

const binary = (op: string, sa: number[], sb: number[], low = -1, high = 1): GradCase => ({
  inputs: { a: { shape: sa, low, high }, b: { shape: sb, low, high } },
  build: (b) => b.op(op, ['a', 'b']),
});

const unary = (
  op: string,
  shape: number[],
  low = -1,
  high = 1,
  opsets?: Record<string, number>,
  domain?: string,
): GradCase => ({
  inputs: { x: { shape, low, high } },
  build: (b) => b.op(op, ['x'], {}, domain ? { domain } : {}),
  ...(opsets && { opsets }),
});

const ROWS: Row[] = [
  { name: 'Add (same shape)', type: F64, case: binary('Add', [2, 3], [2, 3]) },
  { name: 'Add (broadcast [2,1,4] + [3,1])', type: F64, case: binary('Add', [2, 1, 4], [3, 1]) },
  { name: 'Sub (broadcast [3] − [2,3])', type: F64, case: binary('Sub', [3], [2, 3]) },
  { name: 'Mul (broadcast [2,3] · [2,1])', type: F64, case: binary('Mul', [2, 3], [2, 1]) },
  { name: 'Div (broadcast [2,3] / [3])', type: F64, case: binary('Div', [2, 3], [3], 0.5, 2) },
  { name: 'Pow (tensor exponent, broadcast)', type: F64, case: binary('Pow', [2, 3], [3], 0.5, 2) },
  {
    name: 'Pow (constant exponent)',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3], low: 0.5, high: 2 } },
      build: (b, t) => b.op('Pow', ['x', konst(b, t, [], [3])]),
    },
  },
  { name: 'Neg', type: F64, case: unary('Neg', [2, 3]) },
  { name: 'Sqrt', type: F64, case: unary('Sqrt', [2, 3], 0.5, 2) },
  { name: 'Exp', type: F64, case: unary('Exp', [2, 3]) },
  { name: 'Log', type: F64, case: unary('Log', [2, 3], 0.5, 2) },
  { name: 'Tanh', type: F64, case: unary('Tanh', [2, 3]) },
  { name: 'Sigmoid', type: F64, case: unary('Sigmoid', [2, 3]) },
  {
    name: 'Relu',
    type: F64,
    case: {
      inputs: { x: { shape: [6], values: [-1, -0.5, -0.2, 0.3, 0.7, 1.5] } },
      build: (b) => b.op('Relu', ['x']),
    },
  },
  { name: 'Erf', type: F32, case: unary('Erf', [2, 3]) },
  { name: 'Gelu (opset 20, exact)', type: F32, case: unary('Gelu', [2, 3], -2, 2, { '': 20 }) },
  {
    name: 'Gelu (opset 20, tanh)',
    type: F32,
    case: {
      inputs: { x: { shape: [2, 3], low: -2, high: 2 } },
      opsets: { '': 20 },
      build: (b) => b.op('Gelu', ['x'], { approximate: attr.string('tanh') }),
    },
  },
  { name: 'com.microsoft Gelu', type: F32, case: unary('Gelu', [2, 3], -2, 2, undefined, 'com.microsoft') },
  { name: 'Identity', type: F64, case: unary('Identity', [4]) },
  { name: 'MatMul [2,3]·[3,4]', type: F64, case: binary('MatMul', [2, 3], [3, 4]) },
  {
    name: 'MatMul batched [2,5,3]·[3,4] (linear layer)',
    type: F64,
    case: binary('MatMul', [2, 5, 3], [3, 4]),
  },
  { name: 'MatMul broadcast [2,1,3,4]·[5,4,2]', type: F64, case: binary('MatMul', [2, 1, 3, 4], [5, 4, 2]) },
  {
    name: 'MatMul attention-like [2,2,3,4]·[2,2,4,3]',
    type: F64,
    case: binary('MatMul', [2, 2, 3, 4], [2, 2, 4, 3]),
  },
  { name: 'MatMul [3]·[3,4]', type: F64, case: binary('MatMul', [3], [3, 4]) },
  { name: 'MatMul [2,3]·[3]', type: F64, case: binary('MatMul', [2, 3], [3]) },
  { name: 'MatMul [3]·[3]', type: F64, case: binary('MatMul', [3], [3]) },
  ...[
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 1],
  ].map(
    ([ta, tb]): Row => ({
      name: `Gemm transA=${ta} transB=${tb}, α=0.7, β=1.3, C broadcast`,
      type: F64,
      case: {
        inputs: { a: { shape: ta ? [3, 2] : [2, 3] }, w: { shape: tb ? [4, 3] : [3, 4] }, c: { shape: [4] } },
        build: (b) =>
          b.op('Gemm', ['a', 'w', 'c'], {
            alpha: attr.float(0.7),
            beta: attr.float(1.3),
            transA: attr.int(ta!),
            transB: attr.int(tb!),
          }),
      },
    }),
  ),
  {
    name: 'Softmax axis -1',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3, 4] } },
      build: (b) => b.op('Softmax', ['x'], { axis: attr.int(-1) }),
    },
  },
  {
    name: 'Softmax axis 1',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3, 4] } },
      build: (b) => b.op('Softmax', ['x'], { axis: attr.int(1) }),
    },
  },
  {
    name: 'LogSoftmax axis -1',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3, 4] } },
      build: (b) => b.op('LogSoftmax', ['x'], { axis: attr.int(-1) }),
    },
  },
  {
    name: 'LayerNormalization (keeps mean / inv std)',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3, 4] }, scale: { shape: [4] }, bias: { shape: [4] } },
      build: (b) =>
        b.opMulti(
          'LayerNormalization',
          ['x', 'scale', 'bias'],
          { axis: attr.int(-1), epsilon: attr.float(1e-5) },
          { outputs: 3 },
        )[0]!,
    },
  },
  {
    name: 'LayerNormalization axis 1 (recomputes statistics)',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3, 4] }, scale: { shape: [3, 4] } },
      build: (b) => b.op('LayerNormalization', ['x', 'scale'], { axis: attr.int(1) }),
    },
  },
  {
    name: 'ReduceSum axes [1] keepdims 0',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3, 4] } },
      build: (b) => b.op('ReduceSum', ['x', ints(b, [1])], { keepdims: attr.int(0) }),
    },
  },
  {
    name: 'ReduceSum all, keepdims 1',
    type: F64,
    case: { inputs: { x: { shape: [2, 3] } }, build: (b) => b.op('ReduceSum', ['x']) },
  },
  {
    name: 'ReduceMean axes attribute (opset 17)',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3, 4] } },
      build: (b) => b.op('ReduceMean', ['x'], { axes: attr.ints([-1, 0]), keepdims: attr.int(0) }),
    },
  },
  {
    name: 'ReduceMean axes input (opset 18)',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3, 4] } },
      opsets: { '': 18 },
      build: (b) => b.op('ReduceMean', ['x', ints(b, [1])]),
    },
  },
  {
    name: 'Reshape',
    type: F64,
    case: { inputs: { x: { shape: [2, 3, 4] } }, build: (b) => b.op('Reshape', ['x', ints(b, [4, -1])]) },
  },
  {
    name: 'Transpose',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 3, 4] } },
      build: (b) => b.op('Transpose', ['x'], { perm: attr.ints([2, 0, 1]) }),
    },
  },
  {
    name: 'Unsqueeze',
    type: F64,
    case: { inputs: { x: { shape: [2, 3] } }, build: (b) => b.op('Unsqueeze', ['x', ints(b, [1])]) },
  },
  {
    name: 'Squeeze',
    type: F64,
    case: { inputs: { x: { shape: [2, 1, 3] } }, build: (b) => b.op('Squeeze', ['x', ints(b, [1])]) },
  },
  {
    name: 'Concat (three inputs, axis -1)',
    type: F64,
    case: {
      inputs: { a: { shape: [2, 1] }, b: { shape: [2, 3] }, c: { shape: [2, 2] } },
      build: (b) => b.op('Concat', ['a', 'b', 'c'], { axis: attr.int(-1) }),
    },
  },
  {
    name: 'Split (one output unused)',
    type: F64,
    case: {
      inputs: { x: { shape: [2, 5] } },
      build: (b) => b.opMulti('Split', ['x', ints(b, [2, 3])], { axis: attr.int(1) }, { outputs: 2 })[1]!,
    },
  },
  {
    name: 'Slice (negative start, open end, axes)',
    type: F64,
    case: {
      inputs: { x: { shape: [3, 5] } },
      build: (b) => b.op('Slice', ['x', ints(b, [-3, 1]), ints(b, [2 ** 53 - 1, 3]), ints(b, [1, 0])]),
    },
  },
  {
    name: 'Gather (embedding rows, repeated and negative indices)',
    type: F64,
    case: {
      inputs: {
        table: { shape: [5, 3] },
        ids: { shape: [2, 3], type: 'int64', values: [0, 4, 0, -1, 2, 2] },
      },
      build: (b) => b.op('Gather', ['table', 'ids'], { axis: attr.int(0) }),
    },
  },
  {
    name: 'Where (broadcast)',
    type: F64,
    case: {
      inputs: {
        c: { shape: [2, 3], type: 'bool', values: [1, 0, 1, 0, 0, 1] },
        a: { shape: [3] },
        b: { shape: [2, 1] },
      },
      build: (b) => b.op('Where', ['c', 'a', 'b']),
    },
  },
  {
    name: 'Expand [3] → [2,3]',
    type: F64,
    case: { inputs: { x: { shape: [3] } }, build: (b) => b.op('Expand', ['x', ints(b, [2, 3])]) },
  },
  {
    name: 'Cast float → double → float',
    type: F32,
    case: {
      inputs: { x: { shape: [4] } },
      build: (b) =>
        b.op(
          'Cast',
          [
            b.op('Mul', [
              b.op('Cast', ['x'], { to: attr.int(DataType.DOUBLE) }),
              b.op('Cast', ['x'], { to: attr.int(DataType.DOUBLE) }),
            ]),
          ],
          { to: attr.int(DataType.FLOAT) },
        ),
    },
  },
];

describe('gradient rules against finite differences', () => {
  for (const row of ROWS) {
    it(`${row.name} (${row.type === F64 ? 'float64' : 'float32'})`, async () => {
      const { errors } = await checkGradient(row.case, row.type);
      const limit = row.type === F64 ? 1e-6 : 1e-2;
      for (const [input, err] of Object.entries(errors))
        assert.ok(err < limit, `d/d${input}: relative error ${err} ≥ ${limit}`);
    });
  }
});
