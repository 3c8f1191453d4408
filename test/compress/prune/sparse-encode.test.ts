/**
 * Compact sparse storage: the bitmask encoding round-trips every bit, the decoder subgraph rebuilds the exact
 * weights in ONNX Runtime (float32, float16, int8 and uint8 with a zero point, in subgraphs too), files shrink
 * with sparsity, ORT folds the decoder at load (it does not run per inference), DynamicQuantizeMatMul keeps
 * its pre-packed int8 speed, and the pass declines where encoding would not pay.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fillBits } from '../../../src/compress/prune/bitmask.js';
import {
  decodeBitmask,
  decodeSparseWeights,
  encodeBitmask,
  encodeSparseWeights,
  magnitudePrune,
} from '../../../src/compress/prune/index.js';
import {
  attr,
  DataType,
  encodeModel,
  float16Tensor,
  float32Tensor,
  GraphBuilder,
  loadModel,
  type Model,
  MS_DOMAIN,
  makeTensor,
  saveModel,
  type Tensor,
  tensorBytes,
} from '../../../src/onnx/index.js';
import { createSession, type OrtFeeds, runSession } from '../../../src/ort/session.js';
import { assertSameOutputs, boolScalar, f32, runModel } from '../../helpers/ort.js';
import { declinedFor, histogram, init, randomFloats, textFeeds, tinyEncoder, withGraph } from './helpers.js';

const FIXTURES = new URL('../../fixtures/torch/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tlc-sparse-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sameBits(a: Tensor, b: Tensor): boolean {
  return Buffer.compare(tensorBytes(a), tensorBytes(b)) === 0;
}

/** x [rows, k] · W [k, n] with W pruned to `sparsity`. */
function matmulModel(k: number, n: number, sparsity: number, rows = 3, seed = 1): Model {
  const b = GraphBuilder.create();
  const x = b.input('x', DataType.FLOAT, [rows, k]);
  b.initializer(float32Tensor('W', [k, n], randomFloats(k * n, seed)));
  b.output(b.op('MatMul', [x, 'W'], {}, { outputs: ['y'] }));
  const model = b.toModel();
  // W makes the graph's output, which the default scope leaves alone (a classifier head): name it.
  return withGraph(model, magnitudePrune(model.graph, { sparsity, include: ['W'] }).graph);
}

function fileBytes(model: Model, name: string): number {
  const path = join(dir, name);
  saveModel(model, path);
  return statSync(path).size;
}

/**
 * Milliseconds per run of each model, measured in interleaved rounds (so that load from other processes hits
 * both alike), the best round of each.
 */
async function timeRuns(
  models: readonly { bytes: Uint8Array; level: 'all' | 'disabled' }[],
  feeds: OrtFeeds,
  runs = 20,
): Promise<number[]> {
  const sessions = await Promise.all(
    models.map((m) => createSession(m.bytes, { optimizationLevel: m.level })),
  );
  try {
    const best = models.map(() => Number.POSITIVE_INFINITY);
    for (const s of sessions) for (let i = 0; i < 3; i++) await runSession(s, feeds);
    for (let round = 0; round < 7; round++) {
      for (const [k, s] of sessions.entries()) {
        const t = performance.now();
        for (let i = 0; i < runs; i++) await runSession(s, feeds);
        best[k] = Math.min(best[k]!, (performance.now() - t) / runs);
      }
    }
    return best;
  } finally {
    for (const s of sessions) await s.release();
  }
}

describe('bitmask encoding', () => {
  it('round-trips float32 bit patterns (−0 and NaN included) with a 1-bit-per-element mask', () => {
    const data = Float32Array.from([0, 1.5, -0, 0, Number.NaN, 0, 0, 0, 0, -2]);
    const t = float32Tensor('w', [2, 5], data);
    const e = encodeBitmask(t, fillBits(t));
    assert.equal(e.nnz, 4, '1.5, −0, NaN and −2 differ from +0');
    assert.deepEqual(Array.from(e.mask), [0b00010110, 0b10]);
    assert.equal(e.values.length, 5);
    assert.ok(sameBits(t, { ...t, data: decodeBitmask(t, e) }));
  });

  it('round-trips float16, float64 and int8, with the int8 zero point as the fill', () => {
    const half = float16Tensor('h', [9], [0, 0, 1, 0, -3, 0, 0, 0, 0.5]);
    assert.ok(sameBits(half, { ...half, data: decodeBitmask(half, encodeBitmask(half, fillBits(half))) }));
    const dbl = makeTensor('d', DataType.DOUBLE, [4], Float64Array.from([0, 2, 0, -0]));
    const ed = encodeBitmask(dbl, fillBits(dbl));
    assert.equal(ed.nnz, 2);
    assert.ok(sameBits(dbl, { ...dbl, data: decodeBitmask(dbl, ed) }));
    // uint8 quantized with zero point 128: pruned weights hold 128, the most frequent byte.
    const q = makeTensor('q', DataType.UINT8, [6], Uint8Array.from([128, 7, 128, 128, 255, 128]));
    assert.equal(fillBits(q), 128);
    const eq = encodeBitmask(q, 128);
    assert.equal(eq.nnz, 2);
    assert.deepEqual(Array.from(eq.values as Uint8Array), [128, 7, 255]);
    assert.ok(sameBits(q, { ...q, data: decodeBitmask(q, eq) }));
  });
});

describe('encodeSparseWeights', () => {
  it('replaces a sparse weight by values + bitmask + a decoder, outputs bit-identical in ORT', async () => {
    const model = matmulModel(37, 29, 0.6); // 1073 elements: not a multiple of 8
    const { graph, changes, report } = encodeSparseWeights(model.graph, { opset: 17 });
    assert.deepEqual(
      changes.map((c) => [c.kind, c.target]),
      [['applied', 'W']],
    );
    assert.deepEqual(histogram(graph), {
      Reshape: 2,
      BitShift: 2,
      Slice: 1,
      Cast: 1,
      CumSum: 1,
      Mul: 1,
      Gather: 1,
      MatMul: 1,
    });
    assert.ok(!graph.initializers.has('W'));
    const [t] = report.tensors;
    assert.equal(t!.nonZeros, 1073 - Math.round(0.6 * 1073));
    const values = init(graph, 'W.sparse/values');
    assert.equal(values.dataType, DataType.FLOAT);
    assert.deepEqual(values.dims, [t!.nonZeros + 1]);
    const mask = init(graph, 'W.sparse/mask');
    assert.equal(mask.dataType, DataType.UINT8);
    assert.deepEqual(mask.dims, [135, 1]);
    assert.equal(graph.nodes.at(-1)!.opType, 'MatMul', 'decoders first: the node list stays sorted');
    assert.ok(model.graph.initializers.has('W'), 'pure: the input graph keeps W');
    const feeds = { x: f32(Array.from(randomFloats(3 * 37, 4)), [3, 37]) };
    assertSameOutputs(await runModel(withGraph(model, graph), feeds), await runModel(model, feeds), 0);
  });

  it('shrinks the file with sparsity (float32: ≈53% at 50%, ≈16% at 90%)', () => {
    const ratios: Record<string, number> = {};
    for (const s of [0.5, 0.7, 0.9]) {
      const model = matmulModel(256, 256, s);
      const encoded = withGraph(model, encodeSparseWeights(model.graph, { opset: 17 }).graph);
      ratios[s] = fileBytes(encoded, `enc${s}.onnx`) / fileBytes(model, `dense${s}.onnx`);
    }
    assert.ok(ratios[0.5]! > 0.52 && ratios[0.5]! < 0.55, `50%: ${ratios[0.5]}`);
    assert.ok(ratios[0.7]! > 0.33 && ratios[0.7]! < 0.36, `70%: ${ratios[0.7]}`);
    assert.ok(ratios[0.9]! > 0.12 && ratios[0.9]! < 0.16, `90%: ${ratios[0.9]}`);
  });

  it('is folded by ORT at load: a run costs what the dense run costs, not a decode', async () => {
    const model = matmulModel(1024, 1024, 0.5, 1);
    const encoded = encodeModel(withGraph(model, encodeSparseWeights(model.graph, { opset: 17 }).graph));
    const feeds = { x: f32(Array.from(randomFloats(1024, 2)), [1, 1024]) };
    // Without graph optimisations the decoder runs on every call: that is what folding saves.
    const [dense, folded, unfolded] = (await timeRuns(
      [
        { bytes: encodeModel(model), level: 'all' },
        { bytes: encoded, level: 'all' },
        { bytes: encoded, level: 'disabled' },
      ],
      feeds,
      5,
    )) as [number, number, number];
    assert.ok(unfolded > 5 * folded, `decoding per run ${unfolded} ms vs folded ${folded} ms`);
    assert.ok(folded < 3 * dense + 0.2, `folded ${folded} ms vs dense ${dense} ms`);
  });

  it('prune → int8 → encode: DynamicQuantizeMatMul keeps identical outputs and its int8 speed', async () => {
    const [m, k, n] = [128, 1024, 2048];
    // Prune a float weight, then quantize it symmetrically per column (zero point 0: pruned weights stay 0).
    const b0 = GraphBuilder.create();
    const x0 = b0.input('x', DataType.FLOAT, [m, k]);
    b0.initializer(float32Tensor('W', [k, n], randomFloats(k * n, 5)));
    b0.output(b0.op('MatMul', [x0, 'W'], {}, { outputs: ['y'] }));
    const fp32 = b0.toModel();
    const w = init(magnitudePrune(fp32.graph, { sparsity: 0.6, include: ['W'] }).graph, 'W')
      .data as Float32Array;
    const scale = new Float32Array(n);
    for (let i = 0; i < w.length; i++) scale[i % n] = Math.max(scale[i % n]!, Math.abs(w[i]!) / 127);
    const q = Int8Array.from(w, (v, i) => Math.round(v / scale[i % n]!));
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [m, k]);
    b.initializer(makeTensor('B', DataType.INT8, [k, n], q));
    b.initializer(float32Tensor('scale', [n], scale));
    const y = b.op('DynamicQuantizeMatMul', [x, 'B', 'scale'], {}, { domain: MS_DOMAIN, outputs: ['y'] });
    b.output(y, { elemType: DataType.FLOAT });
    const model = b.toModel();
    const { graph, report } = encodeSparseWeights(model.graph, { opset: 17 });
    assert.deepEqual(
      report.tensors.map((t) => [t.name, t.dataType, t.fill]),
      [['B', 'INT8', 0]],
    );
    // int8 at 60% sparsity: (0.4·8 + 1) / 8 bits per element
    assert.ok(
      report.encodedBytes < 0.55 * report.denseBytes,
      `${report.encodedBytes} / ${report.denseBytes}`,
    );
    const encoded = withGraph(model, graph);
    const feeds = { x: f32(Array.from(randomFloats(m * k, 6)), [m, k]) };
    assertSameOutputs(await runModel(encoded, feeds), await runModel(model, feeds), 0);
    const [dense, folded, float] = (await timeRuns(
      [
        { bytes: encodeModel(model), level: 'all' },
        { bytes: encodeModel(encoded), level: 'all' },
        { bytes: encodeModel(fp32), level: 'all' },
      ],
      feeds,
      10,
    )) as [number, number, number];
    assert.ok(folded < 1.5 * dense + 0.3, `encoded int8 ${folded} ms vs dense int8 ${dense} ms`);
    assert.ok(folded < float, `encoded int8 ${folded} ms vs fp32 ${float} ms`);
  });

  it('uses the zero point as the fill of a uint8 weight (DynamicQuantizeMatMul with b_zero_point)', async () => {
    const [k, n] = [64, 48];
    const r = randomFloats(k * n, 8);
    const q = Uint8Array.from(r, (v) => (Math.abs(v) < 0.5 ? 128 : 128 + Math.round(v * 120)));
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [4, k]);
    b.initializer(makeTensor('B', DataType.UINT8, [k, n], q));
    b.initializer(float32Tensor('scale', [], [0.02]));
    b.initializer(makeTensor('zp', DataType.UINT8, [], Uint8Array.of(128)));
    const y = b.op(
      'DynamicQuantizeMatMul',
      [x, 'B', 'scale', 'zp'],
      {},
      { domain: MS_DOMAIN, outputs: ['y'] },
    );
    b.output(y, { elemType: DataType.FLOAT });
    const model = b.toModel();
    const { graph, report } = encodeSparseWeights(model.graph, { opset: 17, minElements: 16 });
    assert.equal(report.tensors[0]!.fill, 128);
    const feeds = { x: f32(Array.from(randomFloats(4 * k, 9)), [4, k]) };
    assertSameOutputs(await runModel(withGraph(model, graph), feeds), await runModel(model, feeds), 0);
  });

  it('encodes initializers of If branches inside the branch', async () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [2, 40]);
    const cond = b.input('cond', DataType.BOOL, []);
    const sparse = (seed: number) =>
      Array.from(randomFloats(40 * 40, seed), (v) => (Math.abs(v) < 0.8 ? 0 : v));
    b.initializer(float32Tensor('outer', [40, 40], sparse(1)));
    const then = b.subgraph('then', (s) => {
      s.initializer(float32Tensor('inner', [40, 40], sparse(2)));
      s.output(s.op('MatMul', [s.op('MatMul', [x, 'inner']), 'outer']), { elemType: DataType.FLOAT });
    });
    const otherwise = b.subgraph('else', (s) => {
      s.output(s.op('Identity', [x]), { elemType: DataType.FLOAT });
    });
    b.output(
      b.op(
        'If',
        [cond],
        { then_branch: attr.graph(then), else_branch: attr.graph(otherwise) },
        { outputs: ['y'] },
      ),
      {
        elemType: DataType.FLOAT,
      },
    );
    const model = b.toModel();
    const { graph, report } = encodeSparseWeights(model.graph, { opset: 17 });
    assert.deepEqual(
      report.tensors.map((t) => [t.name, t.graph]),
      [
        ['inner', 'main/If.then_branch'],
        ['outer', 'main'],
      ],
    );
    const feeds = { x: f32(Array.from(randomFloats(80, 3)), [2, 40]), cond: boolScalar(true) };
    assertSameOutputs(await runModel(withGraph(model, graph), feeds), await runModel(model, feeds), 0);
  });

  it('declines dense tensors, old opsets, overridable initializers and excluded names', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [1, 64]);
    b.initializer(float32Tensor('dense', [64, 64], randomFloats(4096, 1)));
    b.initializer(float32Tensor('small', [4, 4], new Float32Array(16)));
    b.initializer(float32Tensor('skipme', [64, 64], new Float32Array(4096)));
    b.initializer(float32Tensor('default', [64, 64], new Float32Array(4096)));
    b.output(b.op('MatMul', [b.op('MatMul', [b.op('MatMul', [x, 'dense']), 'skipme']), 'default']));
    b.output(b.op('Add', ['small', 'small']));
    const base = b.build();
    const graph = {
      ...base,
      inputs: [
        ...base.inputs,
        { name: 'default', type: { kind: 'tensor' as const, elemType: DataType.FLOAT } },
      ],
    };
    const r = encodeSparseWeights(graph, { opset: 17, exclude: ['skip*'] });
    assert.match(
      declinedFor(r.changes, 'dense').detail,
      /sparsity 0\.000: encoding would save -\d+\.\d% \(needs 10\.0%\)/,
    );
    assert.match(declinedFor(r.changes, 'skipme').detail, /excluded by pattern "skip\*"/);
    assert.match(declinedFor(r.changes, 'default').detail, /graph input/);
    assert.ok(!r.changes.some((c) => c.target === 'small'), 'below minElements: silently left alone');
    assert.equal(r.graph, graph);
    const old = encodeSparseWeights(graph, { opset: 10 });
    assert.match(
      declinedFor(old.changes, graph.name).detail,
      /opset 10: the decoder needs CumSum \(opset 11\)/,
    );
    assert.throws(() => encodeSparseWeights(graph, { opset: 17, minSavings: 1 }), { code: 'CONFIG_INVALID' });
  });

  it('prunes + encodes a tiny TLC encoder: identical outputs, smaller file', async () => {
    const model = tinyEncoder({ dModel: 64, ffn: 256 });
    const pruned = withGraph(model, magnitudePrune(model.graph, { sparsity: 0.8 }).graph);
    const result = encodeSparseWeights(pruned.graph, { opset: 17 });
    assert.equal(result.report.tensors.length, 9);
    const encoded = withGraph(pruned, result.graph);
    const feeds = textFeeds(50);
    assertSameOutputs(await runModel(encoded, feeds), await runModel(pruned, feeds), 0);
    assert.ok(fileBytes(encoded, 'tlc-enc.onnx') < 0.6 * fileBytes(pruned, 'tlc-pruned.onnx'));
  });

  for (const fixture of ['torch_bert_mlm_tiny', 'torch_gpt_causal_tiny']) {
    it(`prunes + encodes the PyTorch fixture ${fixture} with identical outputs`, async () => {
      const model = loadModel(`${FIXTURES}${fixture}.onnx`);
      const pruned = withGraph(model, magnitudePrune(model.graph, { sparsity: 0.7 }).graph);
      const opset = model.opsetImports.get('')!;
      const { graph, report } = encodeSparseWeights(pruned.graph, { opset });
      assert.ok(report.tensors.length >= 12);
      const encoded = withGraph(pruned, graph);
      const feeds = textFeeds(1000);
      assertSameOutputs(await runModel(encoded, feeds), await runModel(pruned, feeds), 0);
      const ratio = fileBytes(encoded, `${fixture}.enc.onnx`) / fileBytes(pruned, `${fixture}.onnx`);
      // The blocks' 12 matrices are 70% zeros; embeddings and the LM head (over a third of the file) stay dense.
      assert.ok(ratio < 0.8, `file ratio ${ratio}`);
    });
  }
});

describe('decodeSparseWeights', () => {
  it('restores the dense initializers and removes the decoders (encode → decode round trip)', () => {
    const model = tinyEncoder({ dModel: 64, ffn: 256 });
    const pruned = magnitudePrune(model.graph, { sparsity: 0.6 }).graph;
    const encoded = encodeSparseWeights(pruned, { opset: 17 }).graph;
    const { graph, changes } = decodeSparseWeights(encoded);
    assert.equal(changes.length, encodeSparseWeights(pruned, { opset: 17 }).report.tensors.length);
    assert.deepEqual(histogram(graph), histogram(pruned));
    assert.deepEqual([...graph.initializers.keys()].sort(), [...pruned.initializers.keys()].sort());
    for (const [name, t] of pruned.initializers) assert.ok(sameBits(init(graph, name), t), name);
    assert.equal(decodeSparseWeights(pruned).graph, pruned, 'nothing encoded: the same graph');
  });
});
