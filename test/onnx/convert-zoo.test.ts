/**
 * `tlc convert` must be faithful for any valid model: every tensor type and storage field, every attribute
 * type, old and new opsets, subgraphs, sparse initializers, string tensors, model-local functions, metadata.
 * Each model is written directly as protobuf (not by TLC's encoder), run in ONNX Runtime, converted through
 * TLC's core (load → save, with and without external data) and run again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DataType } from '../../src/onnx/dtype.js';
import { toBfloat16Array, toFloat16Array } from '../../src/onnx/float16.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/io.js';
import {
  encodeModelProto,
  type PAttribute,
  type PGraph,
  type PModel,
  type PNode,
  type PTensor,
  type PType,
  type PValueInfo,
} from '../../src/onnx/proto/codec.js';
import type { OrtFeeds } from '../../src/ort/session.js';
import { assertSameOutputs, f32, ortTensor, runModelFile } from '../helpers/ort.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-zoo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const INT64_MAX = '9223372036854775807';
const enc = (s: string) => new TextEncoder().encode(s);

function tensorType(elem: number, shape?: (number | string)[]): PType {
  return {
    tensor_type: {
      elem_type: elem,
      ...(shape && {
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      }),
    },
  };
}

function vi(name: string, elem: number, shape?: (number | string)[]): PValueInfo {
  return { name, type: tensorType(elem, shape) };
}

function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attribute: PAttribute[] = [],
  domain?: string,
): PNode {
  return {
    op_type: op,
    input: inputs,
    output: outputs,
    attribute,
    name: outputs[0],
    ...(domain && { domain }),
  };
}

function model(graph: PGraph, opsets: [string, number][], irVersion = 8): PModel {
  return {
    ir_version: irVersion,
    opset_import: opsets.map(([domain, version]) => ({ domain, version })),
    producer_name: 'hand-written',
    graph,
  };
}

/** Constants stored in every typed field that TensorProto offers (no raw_data anywhere). */
function typedFieldsModel(): PModel {
  const constants: [string, PTensor, number][] = [
    ['f32', { data_type: DataType.FLOAT, dims: [3], float_data: [1.5, -2, 3e-8] }, DataType.FLOAT],
    ['f64', { data_type: DataType.DOUBLE, dims: [2], double_data: [Math.PI, -1e300] }, DataType.DOUBLE],
    [
      'i64',
      { data_type: DataType.INT64, dims: [3], int64_data: [INT64_MAX as unknown as number, -5, 0] },
      DataType.INT64,
    ],
    [
      'u64',
      {
        data_type: DataType.UINT64,
        dims: [2],
        uint64_data: ['18446744073709551615' as unknown as number, 7],
      },
      DataType.UINT64,
    ],
    ['u32', { data_type: DataType.UINT32, dims: [2], uint64_data: [4294967295, 1] }, DataType.UINT32],
    ['i32', { data_type: DataType.INT32, dims: [2], int32_data: [-2147483648, 2147483647] }, DataType.INT32],
    ['i16', { data_type: DataType.INT16, dims: [2], int32_data: [-32768, 32767] }, DataType.INT16],
    ['u16', { data_type: DataType.UINT16, dims: [2], int32_data: [65535, 1] }, DataType.UINT16],
    ['i8', { data_type: DataType.INT8, dims: [3], int32_data: [-128, 127, -1] }, DataType.INT8],
    ['u8', { data_type: DataType.UINT8, dims: [2], int32_data: [255, 0] }, DataType.UINT8],
    ['b', { data_type: DataType.BOOL, dims: [3], int32_data: [1, 0, 1] }, DataType.BOOL],
    [
      'f16',
      { data_type: DataType.FLOAT16, dims: [3], int32_data: [...toFloat16Array([1, -0.5, 65504])] },
      DataType.FLOAT16,
    ],
    ['s', { data_type: DataType.STRING, dims: [2], string_data: [enc('héllo'), enc('')] }, DataType.STRING],
    ['empty', { data_type: DataType.FLOAT, dims: [0, 3] }, DataType.FLOAT],
  ];
  const nodes: PNode[] = constants.map(([name, t]) =>
    node('Constant', [], [`${name}_c`], [{ name: 'value', type: 4, t: { ...t, name: `${name}_t` } }]),
  );
  nodes.push(...constants.map(([name]) => node('Identity', [`${name}_c`], [name])));
  const bf16: PTensor = {
    name: 'bf16',
    data_type: DataType.BFLOAT16,
    dims: [2],
    int32_data: [...toBfloat16Array([3.5, -1])],
  };
  nodes.push(node('Cast', ['bf16'], ['bf16_as_f32'], [{ name: 'to', type: 2, i: DataType.FLOAT }]));
  return model(
    {
      name: 'typed_fields',
      node: nodes,
      initializer: [bf16],
      output: [...constants.map(([name, , elem]) => vi(name, elem)), vi('bf16_as_f32', DataType.FLOAT)],
    },
    [['', 13]],
  );
}

/** Every attribute type a runtime op takes, subgraphs with outer reads, a sparse initializer, strings, ML ops. */
function attributesModel(): PModel {
  const body: PGraph = {
    name: 'loop_body',
    input: [
      vi('iter', DataType.INT64, []),
      vi('cond_in', DataType.BOOL, []),
      vi('acc_in', DataType.FLOAT, [2]),
    ],
    node: [
      node('Identity', ['cond_in'], ['cond_out']),
      node('Add', ['acc_in', 'step'], ['acc_out']), // reads `step` from the outer graph
    ],
    output: [vi('cond_out', DataType.BOOL, []), vi('acc_out', DataType.FLOAT, [2])],
  };
  const thenBranch: PGraph = {
    name: 'then',
    node: [node('Constant', [], ['then_c'], [{ name: 'value_floats', type: 6, floats: [10, 20] }])],
    output: [vi('then_c', DataType.FLOAT, [2])],
  };
  const elseBranch: PGraph = {
    name: 'else',
    node: [node('Neg', ['step'], ['else_y'])],
    output: [vi('else_y', DataType.FLOAT, [2])],
  };
  const nodes: PNode[] = [
    node('Loop', ['trips', '', 'x'], ['looped'], [{ name: 'body', type: 5, g: body }]),
    node(
      'If',
      ['flag'],
      ['branched'],
      [
        { name: 'then_branch', type: 5, g: thenBranch },
        { name: 'else_branch', type: 5, g: elseBranch },
      ],
    ),
    node(
      'Constant',
      [],
      ['ints_c'],
      [{ name: 'value_ints', type: 7, ints: [INT64_MAX as unknown as number, -3] }],
    ),
    node('Constant', [], ['str_c'], [{ name: 'value_string', type: 3, s: enc('zébra') }]),
    node('Constant', [], ['strs_c'], [{ name: 'value_strings', type: 8, strings: [enc('a'), enc('b')] }]),
    node('Constant', [], ['float_c'], [{ name: 'value_float', type: 1, f: 0.25 }]),
    node(
      'Constant',
      [],
      ['sparse_const'],
      [
        {
          name: 'sparse_value',
          type: 11,
          sparse_tensor: {
            dims: [2, 3],
            values: { name: 'sv', data_type: DataType.FLOAT, dims: [2], float_data: [7, 9] },
            indices: { name: 'si', data_type: DataType.INT64, dims: [2], int64_data: [1, 5] },
          },
        },
      ],
    ),
    // ORT hands a sparse Constant to the caller as a sparse value, which onnxruntime-node cannot return.
    node('Identity', ['sparse_const'], ['sparse_c']),
    node('LeakyRelu', ['x'], ['leaky'], [{ name: 'alpha', type: 1, f: 0.1 }]),
    node('MatMul', ['x2', 'sparse_w'], ['sparse_mm']),
    node(
      'LabelEncoder',
      ['words'],
      ['labels'],
      [
        { name: 'keys_strings', type: 8, strings: [enc('cat'), enc('dög')] },
        { name: 'values_int64s', type: 7, ints: [1, 2] },
        { name: 'default_int64', type: 2, i: -1 },
      ],
      'ai.onnx.ml',
    ),
    node('Optional', [], ['nothing'], [{ name: 'type', type: 13, tp: tensorType(DataType.FLOAT) }]),
    node('OptionalHasElement', ['nothing'], ['has_nothing']),
  ];
  return {
    ...model(
      {
        name: 'attributes',
        doc_string: 'graph doc',
        node: nodes,
        input: [
          vi('x', DataType.FLOAT, [2]),
          vi('x2', DataType.FLOAT, [1, 3]),
          vi('flag', DataType.BOOL, []),
          vi('words', DataType.STRING, ['n']),
        ],
        initializer: [
          { name: 'trips', data_type: DataType.INT64, dims: [], int64_data: [3] },
          { name: 'step', data_type: DataType.FLOAT, dims: [2], float_data: [0.5, -1] },
        ],
        sparse_initializer: [
          {
            dims: [3, 2],
            values: { name: 'sparse_w', data_type: DataType.FLOAT, dims: [3], float_data: [1, 2, 3] },
            indices: {
              name: 'sparse_w_idx',
              data_type: DataType.INT64,
              dims: [3, 2],
              int64_data: [0, 0, 1, 1, 2, 0],
            },
          },
        ],
        output: [
          vi('looped', DataType.FLOAT, [2]),
          vi('branched', DataType.FLOAT, [2]),
          vi('ints_c', DataType.INT64, [2]),
          vi('str_c', DataType.STRING, []),
          vi('strs_c', DataType.STRING, [2]),
          vi('float_c', DataType.FLOAT, []),
          vi('sparse_c', DataType.FLOAT, [2, 3]),
          vi('leaky', DataType.FLOAT, [2]),
          vi('sparse_mm', DataType.FLOAT, [1, 2]),
          vi('labels', DataType.INT64, ['n']),
          vi('has_nothing', DataType.BOOL, []),
        ],
        value_info: [{ ...vi('leaky', DataType.FLOAT, [2]), doc_string: 'value doc' }],
        metadata_props: [{ key: 'graph-key', value: 'graph-value' }],
      },
      [
        ['', 17],
        ['ai.onnx.ml', 3],
      ],
    ),
    doc_string: 'model doc',
    model_version: 42,
    metadata_props: [{ key: 'k', value: 'v' }],
  };
}

/** Opset 9: Slice with attribute ends = INT64_MAX (must survive as an exact int64). */
function oldOpsetModel(): PModel {
  return model(
    {
      name: 'old',
      node: [
        node(
          'Slice',
          ['x'],
          ['y'],
          [
            { name: 'starts', type: 7, ints: [1] },
            { name: 'ends', type: 7, ints: [INT64_MAX as unknown as number] },
            { name: 'axes', type: 7, ints: [0] },
          ],
        ),
      ],
      input: [vi('x', DataType.FLOAT, [4])],
      output: [vi('y', DataType.FLOAT, [3])],
    },
    [['', 9]],
    4,
  );
}

/** Opset 21 with 4-bit and float8 initializers, plus a model-local function (kept as an opaque message). */
function newOpsetModel(): PModel {
  const fn = {
    name: 'AddTwice',
    domain: 'local',
    input: ['a', 'b'],
    output: ['c'],
    node: [node('Add', ['a', 'b'], ['t']), node('Add', ['t', 'b'], ['c'])],
    opset_import: [{ domain: '', version: 21 }],
  };
  return {
    ...model(
      {
        name: 'new',
        node: [
          node('DequantizeLinear', ['w4', 'scale'], ['dq4']),
          node('DequantizeLinear', ['wu4', 'scale'], ['dqu4']),
          node('Cast', ['f8'], ['f8_as_f32'], [{ name: 'to', type: 2, i: DataType.FLOAT }]),
          node('Cast', ['f8e5'], ['f8e5_as_f32'], [{ name: 'to', type: 2, i: DataType.FLOAT }]),
          node('AddTwice', ['x', 'dq4'], ['twice'], [], 'local'),
        ],
        input: [vi('x', DataType.FLOAT, [3])],
        initializer: [
          { name: 'w4', data_type: DataType.INT4, dims: [3], int32_data: [0xf1, 0x07] },
          { name: 'wu4', data_type: DataType.UINT4, dims: [3], raw_data: Uint8Array.of(0x2f, 0x09) },
          { name: 'scale', data_type: DataType.FLOAT, dims: [], float_data: [0.5] },
          { name: 'f8', data_type: DataType.FLOAT8E4M3FN, dims: [2], int32_data: [0x38, 0xc0] },
          { name: 'f8e5', data_type: DataType.FLOAT8E5M2, dims: [2], raw_data: Uint8Array.of(0x3c, 0x40) },
        ],
        output: [
          vi('dq4', DataType.FLOAT, [3]),
          vi('dqu4', DataType.FLOAT, [3]),
          vi('f8_as_f32', DataType.FLOAT, [2]),
          vi('f8e5_as_f32', DataType.FLOAT, [2]),
          vi('twice', DataType.FLOAT, [3]),
        ],
      },
      [
        ['', 21],
        ['local', 1],
      ],
      10,
    ),
    functions: [fn as object],
  };
}

interface ZooEntry {
  readonly name: string;
  readonly proto: () => PModel;
  readonly feeds: () => OrtFeeds;
}

const ZOO: ZooEntry[] = [
  { name: 'typed-fields', proto: typedFieldsModel, feeds: () => ({}) },
  {
    name: 'attributes-subgraphs-sparse-strings',
    proto: attributesModel,
    feeds: () => ({
      x: f32([1, -2], [2]),
      x2: f32([1, 2, 3], [1, 3]),
      flag: ortTensor('bool', Uint8Array.of(0), []),
      words: ortTensor('string', ['dög', 'bird', 'cat'], [3]),
    }),
  },
  { name: 'opset-9', proto: oldOpsetModel, feeds: () => ({ x: f32([1, 2, 3, 4], [4]) }) },
  { name: 'opset-21-int4-float8-functions', proto: newOpsetModel, feeds: () => ({ x: f32([1, 2, 3], [3]) }) },
];

describe('convert keeps any valid model runnable with the same outputs', () => {
  for (const entry of ZOO) {
    it(entry.name, async () => {
      const original = join(dir, `${entry.name}.onnx`);
      writeFileSync(original, encodeModelProto(entry.proto()));
      const expected = await runModelFile(original, entry.feeds());

      const model = loadModel(original);
      const inline = join(dir, `${entry.name}.converted.onnx`);
      saveModel(model, inline);
      assertSameOutputs(await runModelFile(inline, entry.feeds()), expected, 0);
      assert.deepStrictEqual(
        stripOpaque(loadModel(inline)),
        stripOpaque(model),
        'the graph survives a second round trip',
      );

      const external = join(dir, `${entry.name}.external.onnx`);
      saveModel(model, external, { externalData: true, threshold: 0 });
      assertSameOutputs(await runModelFile(external, entry.feeds()), expected, 0);
    });
  }

  it('keeps metadata, doc strings, value_info, model version and functions', () => {
    const m = decodeModel(encodeModelProto(attributesModel()));
    const again = decodeModel(encodeModel(m));
    assert.equal(again.docString, 'model doc');
    assert.equal(again.modelVersion, 42n);
    assert.deepEqual([...(again.metadata ?? [])], [['k', 'v']]);
    assert.equal(again.graph.docString, 'graph doc');
    assert.deepEqual([...(again.graph.metadata ?? [])], [['graph-key', 'graph-value']]);
    assert.equal(again.graph.valueInfo[0]?.docString, 'value doc');
    assert.equal(again.graph.sparseInitializers.length, 1);
    const ends = decodeModel(encodeModel(decodeModel(encodeModelProto(oldOpsetModel())))).graph.nodes[0]!
      .attributes.ends;
    assert.deepEqual(ends, { type: 'INTS', value: [9223372036854775807n] });
    const fnModel = decodeModel(encodeModel(decodeModel(encodeModelProto(newOpsetModel()))));
    assert.equal(fnModel.functions?.length, 1);
  });

  it('keeps attribute types no standard op uses (TENSORS, GRAPHS, TYPE_PROTOS, SPARSE_TENSORS)', () => {
    const t: PTensor = { name: 't', data_type: DataType.FLOAT, dims: [1], float_data: [1] };
    const g: PGraph = { name: 'g', output: [vi('o', DataType.FLOAT)] };
    const proto = model(
      {
        name: 'exotic',
        node: [
          node(
            'Custom',
            [],
            ['y'],
            [
              { name: 'ts', type: 9, tensors: [t, t] },
              { name: 'gs', type: 10, graphs: [g] },
              { name: 'tps', type: 14, type_protos: [tensorType(DataType.INT8, ['n', 2])] },
              {
                name: 'sts',
                type: 12,
                sparse_tensors: [
                  { dims: [4], values: t, indices: { name: 'i', data_type: 7, dims: [1], int64_data: [2] } },
                ],
              },
            ],
            'custom.domain',
          ),
        ],
        output: [vi('y', DataType.FLOAT)],
      },
      [
        ['', 17],
        ['custom.domain', 1],
      ],
    );
    const m = decodeModel(encodeModelProto(proto));
    const attrs = m.graph.nodes[0]!.attributes;
    assert.deepEqual(
      Object.values(attrs).map((a) => a.type),
      ['TENSORS', 'GRAPHS', 'TYPE_PROTOS', 'SPARSE_TENSORS'],
    );
    assert.deepStrictEqual(decodeModel(encodeModel(m)), m);
  });
});

/** Opaque protobuf messages are compared by their re-encoding, not by object identity. */
function stripOpaque<T extends { functions?: readonly object[] }>(
  m: T,
): Omit<T, 'functions'> & { functions: number } {
  const { functions, ...rest } = m;
  return { ...rest, functions: functions?.length ?? 0 };
}
