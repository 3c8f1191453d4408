/**
 * dynamicInt8: op counts, new initializer types, numeric closeness through ONNX Runtime (small graphs, the
 * TLC encoder with its tied head, both PyTorch fixtures), subgraphs, the node selection, and the reasons it
 * declines. The bert fixture carries the acceptance numbers (cosine ≥ 0.999, top-1 ≥ 0.95, top-5 ≥ 0.99,
 * file < 35% of the original).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dynamicInt8, quantizeModel, weightOnlyNBits } from '../../../src/compress/quantize/index.js';
import { makeConfig } from '../../../src/models/config.js';
import { buildMlmEncoder } from '../../../src/models/encoder.js';
import { buildCachedDecoder } from '../../../src/models/seq2seq-cached.js';
import {
  attr,
  DataType,
  encodeModel,
  GraphBuilder,
  int64Tensor,
  type Model,
  saveModel,
  type Tensor,
} from '../../../src/onnx/index.js';
import { ortTensor } from '../../../src/ort/session.js';
import { Rng } from '../../../src/util/rng.js';
import { boolScalar, runModel } from '../../helpers/ort.js';
import {
  applied,
  compareModels,
  declinedFor,
  floatData,
  floatFeed,
  linearModel,
  loadFixture,
  logitAgreement,
  mergeAgreement,
  opCounts,
  randomTensor,
  snapshot,
  tokenFeeds,
} from './helpers.js';

const MS = 'com.microsoft::DynamicQuantizeMatMul';

function initializerTypes(model: Model): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, t] of model.graph.initializers) out[name] = `${t.dataType}:${t.dims.join('x')}`;
  return out;
}

function int8Tensors(model: Model): Tensor[] {
  return [...model.graph.initializers.values()].filter((t) => t.dataType === DataType.INT8);
}

const tmp = mkdtempSync(join(tmpdir(), 'tlc-quantize-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('dynamicInt8: MatMul', () => {
  it('folds MatMul → Add(bias) into one DynamicQuantizeMatMul with an int8 weight and per-column scales', async () => {
    const rng = Rng.seeded(1);
    for (const order of ['second', 'first'] as const) {
      const model = linearModel(rng, 64, 48, { bias: order });
      const before = snapshot(model.graph);
      const { model: q, changes } = quantizeModel(model, dynamicInt8, {});
      assert.deepEqual(model.graph, before, 'the pass mutated its input');
      assert.deepEqual(opCounts(model.graph), { MatMul: 1, Add: 1 });
      assert.deepEqual(opCounts(q.graph), { [MS]: 1 });
      assert.equal(q.opsetImports.get('com.microsoft'), 1);
      const node = q.graph.nodes[0]!;
      assert.equal(node.outputs[0], 'y', 'the Add output keeps its name');
      assert.deepEqual(node.inputs, ['x', 'w_quantized', 'w_scale', '', 'bias']);
      assert.deepEqual(initializerTypes(q), {
        bias: `${DataType.FLOAT}:48`,
        w_quantized: `${DataType.INT8}:64x48`,
        w_scale: `${DataType.FLOAT}:48`,
      });
      assert.deepEqual(
        applied(changes).map((c) => c.target),
        ['linear/MatMul'],
      );
      const err = await compareModels(model, q, { x: floatFeed(rng, [8, 64]) }, 'y');
      assert.ok(err < 0.03, `relative error ${err}`);
    }
  });

  it('quantizes symmetric per column: |q| ≤ qmax, scale = column absmax / qmax (7-bit and full codings)', () => {
    const model = linearModel(Rng.seeded(2), 32, 16, { bias: 'none' });
    const w = model.graph.initializers.get('w')!.data as Float32Array;
    for (const [weights, qmax] of [
      ['full', 127],
      ['7-bit', 64],
    ] as const) {
      const { model: q } = quantizeModel(model, dynamicInt8, { weights });
      const data = q.graph.initializers.get('w_quantized')!.data as Int8Array;
      const scale = q.graph.initializers.get('w_scale')!.data as Float32Array;
      for (let c = 0; c < 16; c++) {
        let absMax = 0;
        let qMax = 0;
        for (let r = 0; r < 32; r++) {
          absMax = Math.max(absMax, Math.abs(w[r * 16 + c]!));
          qMax = Math.max(qMax, Math.abs(data[r * 16 + c]!));
          assert.ok(Math.abs(data[r * 16 + c]! * scale[c]! - w[r * 16 + c]!) <= scale[c]! / 2 + 1e-7);
        }
        assert.equal(qMax, qmax);
        assert.ok(Math.abs(scale[c]! - absMax / qmax) < 1e-6 * absMax);
      }
    }
  });

  it('gives an explicit int8 zero-point input when asked, with the same result', async () => {
    const rng = Rng.seeded(3);
    const model = linearModel(rng, 32, 24);
    const plain = quantizeModel(model, dynamicInt8, {}).model;
    const { model: q } = quantizeModel(model, dynamicInt8, { weightZeroPoint: true });
    const node = q.graph.nodes[0]!;
    assert.equal(node.inputs.length, 5);
    const zp = q.graph.initializers.get(node.inputs[3]!)!;
    assert.equal(zp.dataType, DataType.INT8);
    assert.deepEqual(zp.dims, [24]);
    assert.ok((zp.data as Int8Array).every((v) => v === 0));
    const feeds = { x: floatFeed(rng, [4, 32]) };
    assert.deepEqual(floatData(await runModel(q, feeds), 'y'), floatData(await runModel(plain, feeds), 'y'));
  });

  it('declines a MatMul whose weight is not a constant initializer, or not 2-D, and says why', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 4]);
    const wIn = b.input('w_in', DataType.FLOAT, [4, 3]);
    b.output(b.op('MatMul', [x, wIn], {}, { name: 'dynamic_weight', outputs: ['y1'] }));
    const x3 = b.input('x3', DataType.FLOAT, [2, 4, 5]);
    const w3 = b.initializer(randomTensor(Rng.seeded(4), 'w3', [2, 5, 3]));
    b.output(b.op('MatMul', [x3, w3], {}, { name: 'batched_weight', outputs: ['y2'] }));
    const model = b.toModel();
    const { model: q, changes } = quantizeModel(model, dynamicInt8, {});
    assert.equal(q, model, 'nothing applied: the same model comes back');
    assert.deepEqual(declinedFor(changes, 'dynamic_weight'), [
      'weight B "w_in" is not a constant initializer',
    ]);
    assert.deepEqual(declinedFor(changes, 'batched_weight'), ['weight B "w3" is not 2-D (shape [2, 5, 3])']);
  });

  it('quantizes the MatMul but keeps an Add whose bias is not 1-D of size N, and says why', async () => {
    const rng = Rng.seeded(5);
    const model = linearModel(rng, 16, 8, { biasDims: [1, 8] });
    const { model: q, changes } = quantizeModel(model, dynamicInt8, {});
    assert.deepEqual(opCounts(q.graph), { [MS]: 1, Add: 1 });
    assert.deepEqual(declinedFor(changes, 'linear/Add'), [
      'bias Add not folded: bias is not 1-D of size 8 (shape [1, 8])',
    ]);
    const err = await compareModels(model, q, { x: floatFeed(rng, [4, 16]) }, 'y');
    assert.ok(err < 0.03, `relative error ${err}`);
  });

  it('applies include/exclude patterns (globs and RegExps) and reports what it left out', () => {
    const rng = Rng.seeded(6);
    const b = GraphBuilder.create();
    let h = b.input('x', DataType.FLOAT, [2, 8]);
    for (const name of ['enc/a/MatMul', 'enc/b/MatMul', 'head/MatMul']) {
      h = b.op('MatMul', [h, b.initializer(randomTensor(rng, `${name}.w`, [8, 8]))], {}, { name });
    }
    b.output(h);
    const model = b.toModel();
    const glob = quantizeModel(model, dynamicInt8, { excludeNodes: ['head/*'] });
    assert.deepEqual(opCounts(glob.model.graph), { [MS]: 2, MatMul: 1 });
    assert.deepEqual(declinedFor(glob.changes, 'head/MatMul'), ['node excluded by "head/*"']);
    const regex = quantizeModel(model, dynamicInt8, { includeNodes: [/^enc\/a\//] });
    assert.deepEqual(opCounts(regex.model.graph), { [MS]: 1, MatMul: 2 });
    assert.deepEqual(declinedFor(regex.changes, 'enc/b/MatMul'), ['node not in includeNodes']);
    const ops = quantizeModel(model, dynamicInt8, { excludeOps: ['MatMul'] });
    assert.equal(ops.model, model);
    assert.deepEqual(declinedFor(ops.changes, 'enc/a/MatMul'), ['op type excluded by "MatMul"']);
  });
});

describe('dynamicInt8: Gemm', () => {
  function gemmModel(
    rng: Rng,
    attrs: { transA?: number; transB?: number; alpha?: number; beta?: number },
    cDims: readonly number[] | undefined,
  ): Model {
    const b = GraphBuilder.create();
    const k = 24;
    const n = 16;
    const a = b.input('a', DataType.FLOAT, attrs.transA ? [k, 'm'] : ['m', k]);
    const w = b.initializer(randomTensor(rng, 'w', attrs.transB ? [n, k] : [k, n]));
    const inputs = [a, w];
    if (cDims) inputs.push(b.initializer(randomTensor(rng, 'c', cDims)));
    const attributes = Object.fromEntries(
      Object.entries(attrs).map(([key, v]) => [key, key.startsWith('trans') ? attr.int(v) : attr.float(v)]),
    );
    b.output(b.op('Gemm', inputs, attributes, { name: 'gemm', outputs: ['y'] }));
    return b.toModel();
  }

  it('folds transB, alpha and beta · C into DynamicQuantizeMatMul', async () => {
    const rng = Rng.seeded(7);
    const cases: [Parameters<typeof gemmModel>[1], readonly number[] | undefined][] = [
      [{}, undefined],
      [{ transB: 1 }, [16]],
      [{ transB: 1, alpha: 0.5, beta: 2 }, [16]],
      [{ alpha: 1.5, beta: 0.25 }, [1]],
    ];
    for (const [attrs, cDims] of cases) {
      const model = gemmModel(rng, attrs, cDims);
      const { model: q, changes } = quantizeModel(model, dynamicInt8, {});
      assert.deepEqual(opCounts(q.graph), { [MS]: 1 }, JSON.stringify(attrs));
      assert.equal(applied(changes).length, 1);
      const weight = q.graph.initializers.get(q.graph.nodes[0]!.inputs[1]!)!;
      assert.equal(weight.dataType, DataType.INT8);
      assert.deepEqual(weight.dims, [24, 16], 'stored [K, N] whatever transB was');
      const err = await compareModels(model, q, { a: floatFeed(rng, [5, 24]) }, 'y');
      assert.ok(err < 0.03, `${JSON.stringify(attrs)}: relative error ${err}`);
    }
  });

  it('declines transA=1 and a 2-D C, and says why', () => {
    const rng = Rng.seeded(8);
    const transA = quantizeModel(gemmModel(rng, { transA: 1 }, undefined), dynamicInt8, {});
    assert.deepEqual(declinedFor(transA.changes, 'gemm'), [
      'transA=1 is not supported (A would need a transpose)',
    ]);
    const c2 = quantizeModel(gemmModel(rng, {}, [5, 16]), dynamicInt8, {});
    assert.deepEqual(declinedFor(c2.changes, 'gemm'), [
      'C is not 1-D of size 16 (shape [5, 16]); only a bias vector is folded',
    ]);
    assert.deepEqual(opCounts(c2.model.graph), { Gemm: 1 });
  });
});

describe('dynamicInt8: embeddings', () => {
  function embeddingModel(rng: Rng, axis = 0): Model {
    const b = GraphBuilder.create();
    const ids = b.input('ids', DataType.INT64, ['b', 't']);
    const table = b.initializer(randomTensor(rng, 'table', [50, 12]));
    b.output(b.op('Gather', [table, ids], { axis: attr.int(axis) }, { name: 'embed', outputs: ['y'] }), {
      elemType: DataType.FLOAT,
    });
    // A Gather over shape values is no embedding: it must be left alone without a report.
    const dims = b.op('Shape', [ids]);
    b.output(
      b.op('Gather', [dims, b.constant(int64Tensor('zero', [], [0]))], {}, { name: 'batch', outputs: ['n'] }),
      {
        elemType: DataType.INT64,
      },
    );
    return b.toModel();
  }

  it('reads int8 rows and their scales (default layout) or dequantizes the table first; both close', async () => {
    const rng = Rng.seeded(9);
    const model = embeddingModel(rng);
    const ids = { ids: ortTensor('int64', BigInt64Array.from([0n, 7n, 49n, 3n, -1n, 20n]), [2, 3]) };
    const expected = floatData(await runModel(model, ids), 'y');
    const table = model.graph.initializers.get('table')!.data as Float32Array;
    for (const [layout, ops] of [
      ['gather-dequantize', { Gather: 3, Cast: 1, Mul: 1, Shape: 1 }],
      ['dequantize-gather', { Gather: 2, DequantizeLinear: 1, Shape: 1 }],
    ] as const) {
      const { model: q, changes } = quantizeModel(model, dynamicInt8, { embeddingLayout: layout });
      assert.deepEqual(opCounts(q.graph), ops, layout);
      assert.deepEqual(
        changes.map((c) => c.target),
        ['embed'],
        'the shape Gather is not reported',
      );
      assert.equal(q.graph.initializers.has('table'), false, 'the float table is gone');
      const int8 = int8Tensors(q);
      assert.deepEqual(
        int8.map((t) => t.dims),
        [[50, 12]],
      );
      const actual = floatData(await runModel(q, ids), 'y');
      // Each row is within half a step of its own scale (row absmax / 127).
      const rowsOfIds = [0, 7, 49, 3, 49, 20];
      rowsOfIds.forEach((row, i) => {
        const slice = table.subarray(row * 12, row * 12 + 12);
        const step = Math.max(...Array.from(slice, Math.abs)) / 127;
        for (let d = 0; d < 12; d++)
          assert.ok(Math.abs(actual[i * 12 + d]! - expected[i * 12 + d]!) <= step / 2 + 1e-6);
      });
    }
  });

  it('declines a lookup along axis 1 and says why', () => {
    const { changes } = quantizeModel(embeddingModel(Rng.seeded(10), 1), dynamicInt8, {});
    assert.deepEqual(declinedFor(changes, 'embed'), ['axis 1: only row lookups (axis 0) are quantized']);
  });

  it('shares one int8 table between the Gather and the tied Gemm(transB=1) head of a TLC encoder', async () => {
    const config = makeConfig({ vocabSize: 512, dModel: 64, layers: 2, heads: 4, maxLength: 32 });
    const { model } = buildMlmEncoder(config, { rng: Rng.seeded(11), head: 'logits', dropout: false });
    const { model: q, changes } = quantizeModel(model, dynamicInt8, {});
    assert.equal(q.graph.initializers.has('embeddings.word'), false);
    const tables = int8Tensors(q).filter((t) => t.dims[0] === 512 || t.dims[1] === 512);
    assert.deepEqual(
      tables.map((t) => t.dims),
      [[512, 64]],
      'one int8 copy of the tied table',
    );
    const head = q.graph.nodes.find(
      (n) =>
        n.opType === 'DynamicQuantizeMatMul' &&
        n.outputs.includes(model.graph.nodes.find((m) => m.name === 'head/logits')!.outputs[0]!),
    )!;
    const transpose = q.graph.nodes.find((n) => n.outputs[0] === head.inputs[1])!;
    assert.equal(transpose.opType, 'Transpose');
    assert.equal(transpose.inputs[0], tables[0]!.name);
    assert.match(applied(changes).find((c) => c.target === 'head/logits')!.detail, /tied table shared/);
    // 2 layers × (qkv, out, up, down) + head dense + tied projection = 10 DynamicQuantizeMatMul.
    assert.equal(opCounts(q.graph)[MS], 10);
    const rng = Rng.seeded(12);
    const parts = [];
    for (let i = 0; i < 2; i++) {
      const feeds = tokenFeeds(rng, 2, 16, 512);
      parts.push(
        logitAgreement(
          floatData(await runModel(model, feeds), 'logits'),
          floatData(await runModel(q, feeds), 'logits'),
          512,
        ),
      );
    }
    const agreement = mergeAgreement(parts);
    assert.ok(agreement.cosine > 0.999, `cosine ${agreement.cosine}`);
    assert.ok(encodeModel(q).byteLength < 0.35 * encodeModel(model).byteLength);
  });
});

describe('dynamicInt8: a decoder head over Transpose(table)', () => {
  it('quantizes MatMul(h, Transpose(E)) sharing the Gather’s int8 table; no float table is left', async () => {
    const config = makeConfig({ vocabSize: 512, dModel: 64, layers: 2, heads: 4, maxLength: 32 });
    const { model } = buildCachedDecoder(config, { rng: Rng.seeded(21), withPast: false });
    const { model: q, changes } = quantizeModel(model, dynamicInt8, {});
    assert.equal(q.graph.initializers.has('embeddings.word'), false, 'the float table is gone');
    const tables = int8Tensors(q).filter((t) => t.dims[0] === 512 || t.dims[1] === 512);
    assert.deepEqual(
      tables.map((t) => t.dims),
      [[512, 64]],
      'one int8 copy of the tied table',
    );
    const head = applied(changes).find(
      (c) => /Transpose|tied table/.test(c.detail) && /\[64, 512\]/.test(c.detail),
    );
    assert.ok(head !== undefined, 'the tied projection is quantized');
    assert.match(head.detail, /tied table shared with its Gather/);
    const rng = Rng.seeded(22);
    const feeds = {
      input_ids: ortTensor(
        'int64',
        BigInt64Array.from({ length: 2 * 5 }, () => BigInt(rng.int(512))),
        [2, 5],
      ),
      encoder_attention_mask: ortTensor('int64', new BigInt64Array(2 * 7).fill(1n), [2, 7]),
      encoder_hidden_states: floatFeed(rng, [2, 7, 64]),
    };
    const agreement = logitAgreement(
      floatData(await runModel(model, feeds), 'logits'),
      floatData(await runModel(q, feeds), 'logits'),
      512,
    );
    assert.ok(agreement.cosine > 0.999, `cosine ${agreement.cosine}`);
    assert.ok(agreement.top1 >= 0.9, `top-1 ${agreement.top1}`);
    // Weights: 4 bytes a float, 1 an int8 code; the table was a third of this decoder.
    assert.ok(encodeModel(q).byteLength < 0.35 * encodeModel(model).byteLength);
  });

  it('q4 keeps that tied head int8, sharing the table, and is smaller than int8', () => {
    const config = makeConfig({ vocabSize: 512, dModel: 64, layers: 2, heads: 4, maxLength: 32 });
    const { model } = buildCachedDecoder(config, { rng: Rng.seeded(24), withPast: false });
    const q4 = quantizeModel(model, weightOnlyNBits, { bits: 4 });
    assert.equal(q4.model.graph.initializers.has('embeddings.word'), false, 'the float table is gone');
    assert.deepEqual(
      int8Tensors(q4.model)
        .filter((t) => t.dims[0] === 512)
        .map((t) => t.dims),
      [[512, 64]],
    );
    assert.match(applied(q4.changes).find((c) => /\[64, 512\]/.test(c.detail))!.detail, /tied table shared/);
    const int8 = quantizeModel(model, dynamicInt8, {}).model;
    assert.ok(encodeModel(q4.model).byteLength < encodeModel(int8).byteLength);
  });

  it('keeps the Transpose when something else reads it, and stores B transposed when no Gather reads the table', () => {
    const rng = Rng.seeded(23);
    const b = GraphBuilder.create({ opsets: { '': 17 } });
    const x = b.input('x', DataType.FLOAT, ['n', 8]);
    const w = b.initializer(randomTensor(rng, 'W', [6, 8]));
    const t = b.op('Transpose', [w], { perm: attr.ints([1, 0]) }, { name: 't' });
    b.output(b.op('MatMul', [x, t], {}, { name: 'mm', outputs: ['y'] }), { elemType: DataType.FLOAT });
    b.output(b.op('Identity', [t], {}, { outputs: ['wt'] }), { elemType: DataType.FLOAT });
    const model = b.toModel();
    const { model: q, changes } = quantizeModel(model, dynamicInt8, {});
    assert.match(applied(changes)[0]!.detail, /Transpose folded into the constant/);
    assert.equal(opCounts(q.graph).Transpose, 1, 'the graph output still needs it');
    assert.deepEqual(
      int8Tensors(q).map((x) => x.dims),
      [[8, 6]],
    );
  });
});

describe('dynamicInt8: subgraphs', () => {
  it('quantizes MatMuls inside If branches, with outer and branch-local weights', async () => {
    const rng = Rng.seeded(13);
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [3, 16]);
    const cond = b.input('c', DataType.BOOL, []);
    const outer = b.initializer(randomTensor(rng, 'outer_w', [16, 8]));
    const thenBranch = b.subgraph('then', (s) => {
      s.output(s.op('MatMul', [x, outer], {}, { name: 'then/MatMul' }), { elemType: DataType.FLOAT });
    });
    const elseBranch = b.subgraph('else', (s) => {
      const local = s.initializer(randomTensor(rng, 'local_w', [16, 8]));
      s.output(s.op('MatMul', [x, local], {}, { name: 'else/MatMul' }), { elemType: DataType.FLOAT });
    });
    b.output(
      b.op(
        'If',
        [cond],
        { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) },
        { outputs: ['y'] },
      ),
      { elemType: DataType.FLOAT },
    );
    const model = b.toModel();
    const { model: q, changes } = quantizeModel(model, dynamicInt8, {});
    assert.deepEqual(
      applied(changes)
        .map((c) => c.target)
        .sort(),
      ['else/MatMul', 'then/MatMul'],
    );
    assert.deepEqual(opCounts(q.graph), { If: 1, [MS]: 2 });
    assert.equal(q.graph.initializers.has('outer_w'), false, 'the outer float weight is no longer read');
    for (const c of [true, false]) {
      const feeds = { x: floatFeed(rng, [3, 16]), c: boolScalar(c) };
      const err = await compareModels(model, q, feeds, 'y');
      assert.ok(err < 0.03, `branch ${c}: relative error ${err}`);
    }
  });
});

describe('dynamicInt8: PyTorch fixtures', () => {
  it('bert (tied MLM head): cosine ≥ 0.999, top-1 ≥ 0.95, top-5 ≥ 0.99, file < 35% of the original', async () => {
    const model = loadFixture('bert');
    const { model: q, changes } = quantizeModel(model, dynamicInt8, {});
    const before = opCounts(model.graph);
    const afterCounts = opCounts(q.graph);
    // 12 encoder Linears + MLM dense + tied projection; the 4 attention MatMuls (activation × activation) stay.
    assert.equal(before.MatMul, 18);
    assert.equal(afterCounts[MS], 14);
    assert.equal(afterCounts.MatMul, 4);
    assert.equal(before.Add! - afterCounts.Add!, 14, 'the 14 bias Adds are folded');
    assert.equal(
      changes.filter((c) => c.kind === 'declined' && /is not a constant initializer/.test(c.detail)).length,
      4,
    );
    const parts = [];
    for (const seed of [1, 2, 3, 4]) {
      const feeds = tokenFeeds(Rng.seeded(seed), 4, 16);
      const reference = floatData(await runModel(model, feeds), 'logits');
      const candidate = floatData(await runModel(q, feeds), 'logits');
      parts.push(logitAgreement(reference, candidate, 1000));
    }
    const agreement = mergeAgreement(parts);
    assert.ok(agreement.cosine >= 0.999, `cosine ${agreement.cosine}`);
    assert.ok(agreement.top1 >= 0.95, `top-1 ${agreement.top1}`);
    assert.ok(agreement.top5 >= 0.99, `top-5 ${agreement.top5}`);
    const original = join(tmp, 'bert.onnx');
    const quantized = join(tmp, 'bert_int8.onnx');
    saveModel(model, original);
    saveModel(q, quantized);
    const ratio = statSync(quantized).size / statSync(original).size;
    assert.ok(ratio < 0.35, `size ratio ${ratio}`);
  });

  it('gpt (untied head, causal mask): close logits and a smaller file', async () => {
    const model = loadFixture('gpt');
    const { model: q } = quantizeModel(model, dynamicInt8, {});
    assert.equal(opCounts(q.graph)[MS], 14);
    const feeds = tokenFeeds(Rng.seeded(5), 4, 16);
    const agreement = logitAgreement(
      floatData(await runModel(model, feeds), 'logits'),
      floatData(await runModel(q, feeds), 'logits'),
      1000,
    );
    assert.ok(agreement.cosine >= 0.999, `cosine ${agreement.cosine}`);
    assert.ok(encodeModel(q).byteLength < 0.35 * encodeModel(model).byteLength);
  });
});
