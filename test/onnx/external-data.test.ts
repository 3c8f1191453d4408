/** Tensors stored beside the model file (external data): writing, reading, errors, and models over 2 GiB. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { attr } from '../../src/onnx/attributes.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { DataType } from '../../src/onnx/dtype.js';
import { EXTERNAL_ALIGNMENT } from '../../src/onnx/external-data.js';
import { decodeModel, encodeModel, INLINE_LIMIT_BYTES, loadModel, saveModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { decodeModelProto, encodeModelProto } from '../../src/onnx/proto/codec.js';
import { float32Tensor, makeTensor } from '../../src/onnx/tensor.js';
import { assertSameOutputs, f32, i64, runModel, runModelFile } from '../helpers/ort.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-external-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** y = x @ W + b with a 64×32 weight (8 KiB) and a 32-element bias (128 B). */
function smallModel(): Model {
  const b = GraphBuilder.create();
  const x = b.input('x', DataType.FLOAT, ['batch', 64]);
  const w = b.initializer(
    float32Tensor(
      'W',
      [64, 32],
      Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i)),
    ),
  );
  const bias = b.initializer(
    float32Tensor(
      'b',
      [32],
      Array.from({ length: 32 }, (_, i) => i / 10),
    ),
  );
  b.output(b.op('Add', [b.op('MatMul', [x, w]), bias]), { shape: ['batch', 32] });
  return b.toModel();
}

const feeds = {
  x: f32(
    Array.from({ length: 2 * 64 }, (_, i) => Math.cos(i)),
    [2, 64],
  ),
};

function externalEntries(path: string): Map<string, Map<string, string>> {
  const proto = decodeModelProto(readFileSync(path));
  const out = new Map<string, Map<string, string>>();
  for (const t of proto.graph?.initializer ?? []) {
    out.set(t.name ?? '', new Map((t.external_data ?? []).map((e) => [e.key ?? '', e.value ?? ''])));
  }
  return out;
}

describe('external data', () => {
  it('moves initializers over the threshold to an aligned side file and reads them back', async () => {
    const model = smallModel();
    const path = join(dir, 'small.onnx');
    const result = saveModel(model, path, { externalData: true, threshold: 1024 });
    assert.equal(result.externalData?.tensors, 1);
    assert.equal(result.externalData?.path, join(dir, 'small.onnx_data'));
    assert.equal(statSync(join(dir, 'small.onnx_data')).size, 64 * 32 * 4);
    const entries = externalEntries(path);
    assert.equal(entries.get('W')?.get('location'), 'small.onnx_data');
    assert.equal(Number(entries.get('W')?.get('offset')) % EXTERNAL_ALIGNMENT, 0);
    assert.equal(entries.get('b')?.size, 0, 'the small bias stays inline');
    assert.deepStrictEqual(loadModel(path), model);
    assertSameOutputs(await runModelFile(path, feeds), await runModel(model, feeds), 0);
  });

  it('reads external data written by other tools: unaligned offsets, no length, custom locations', async () => {
    const model = smallModel();
    const weights = model.graph.initializers.get('W')!.data as Float32Array;
    const sub = join(dir, 'foreign');
    mkdirSync(join(sub, 'weights'), { recursive: true });
    const blob = Buffer.alloc(3 + weights.byteLength);
    Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength).copy(blob, 3);
    writeFileSync(join(sub, 'weights', 'w.bin'), blob);
    const proto = decodeModelProto(encodeModel(model));
    const w = proto.graph!.initializer!.find((t) => t.name === 'W')!;
    delete w.raw_data;
    w.data_location = 1;
    w.external_data = [
      { key: 'location', value: 'weights/w.bin' },
      { key: 'offset', value: '3' },
    ];
    writeFileSync(join(sub, 'model.onnx'), encodeModelProto(proto));
    const loaded = loadModel(join(sub, 'model.onnx'));
    assert.deepStrictEqual(loaded, model);
    assertSameOutputs(await runModelFile(join(sub, 'model.onnx'), feeds), await runModel(model, feeds), 0);
  });

  it('explains missing, escaping and truncated external data', () => {
    const model = smallModel();
    const path = join(dir, 'broken.onnx');
    saveModel(model, path, { externalData: true, location: 'broken.bin' });
    const bytes = readFileSync(path);
    assert.throws(() => decodeModel(bytes, { source: 'broken.onnx' }), {
      code: 'ONNX_EXTERNAL_DATA',
      message: /broken\.onnx: tensor "W" is stored in "broken\.bin"; load the model from its file path/,
    });
    rmSync(join(dir, 'broken.bin'));
    assert.throws(() => loadModel(path), {
      code: 'ONNX_EXTERNAL_DATA',
      message: /"broken\.bin", which cannot be opened/,
    });
    writeFileSync(join(dir, 'broken.bin'), Buffer.alloc(100));
    assert.throws(() => loadModel(path), {
      code: 'ONNX_EXTERNAL_DATA',
      message: /wants bytes 0\.\.8192 of "broken\.bin", which has 100/,
    });
    const proto = decodeModelProto(bytes);
    proto.graph!.initializer![0]!.external_data![0]!.value = '../../etc/passwd';
    writeFileSync(path, encodeModelProto(proto));
    assert.throws(() => loadModel(path), {
      code: 'ONNX_EXTERNAL_DATA',
      message: /points outside the model folder/,
    });
  });

  it('saves and loads a model over the 2 GiB protobuf limit (external data chosen automatically)', async (t) => {
    if (process.env.TLC_SKIP_LARGE_TESTS) return t.skip('TLC_SKIP_LARGE_TESTS is set');
    // One 2.1 GiB uint8 table; zero-filled memory is cheap until written, so only a few rows are set.
    const rows = 2 ** 21;
    const width = 1075;
    const table = new Uint8Array(rows * width);
    assert.ok(table.byteLength > INLINE_LIMIT_BYTES);
    for (const r of [0, 7, rows - 1]) table.fill(r % 251, r * width, (r + 1) * width);
    const b = GraphBuilder.create();
    const ids = b.input('ids', DataType.INT64, [3]);
    const t0 = b.initializer(makeTensor('table', DataType.UINT8, [rows, width], table));
    const gathered = b.op('Gather', [t0, ids], { axis: attr.int(0) });
    b.output(b.op('ReduceMax', [gathered], { axes: attr.ints([1]), keepdims: attr.int(0) }));
    const model = b.toModel();
    assert.throws(() => encodeModel(model), {
      code: 'ONNX_WRITE_FAILED',
      message: /over the 2 GiB protobuf limit/,
    });
    const path = join(dir, 'large.onnx');
    const saved = saveModel(model, path);
    assert.ok(saved.externalData !== undefined, 'external data is chosen automatically');
    assert.ok(saved.bytes < 10_000);
    const loaded = loadModel(path);
    const data = loaded.graph.initializers.get('table')!.data as Uint8Array;
    assert.equal(data.byteLength, table.byteLength);
    assert.equal(data[7 * width + 5], 7);
    assert.equal(data[(rows - 1) * width], (rows - 1) % 251);
    const out = await runModelFile(path, { ids: i64([0, 7, rows - 1], [3]) });
    assert.deepEqual([...(Object.values(out)[0]!.data as Uint8Array)], [0, 7, (rows - 1) % 251]);
  });
});
