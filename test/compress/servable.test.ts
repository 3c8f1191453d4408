/**
 * export-and-compress refuses, before any variant work and with the fix named, a source the server could not
 * serve: no tokenizer, a seq2seq without a cached decoder, static shapes, a config.json larger than the graph;
 * and it widens a float16 export to float32 first, so that its int8 and q4 variants are real.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { checkSymbolicAxes, symbolicAxes } from '../../src/compress/dynamic-axes.js';
import { toFloat16 } from '../../src/compress/quantize/float16.js';
import { halfInitializers } from '../../src/compress/quantize/widen-float16.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { TlcError } from '../../src/errors/index.js';
import { fixedAxes } from '../../src/model-folder/graph-facts.js';
import { DataType } from '../../src/onnx/dtype.js';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { int64Tensor } from '../../src/onnx/tensor.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import { ModelRegistry } from '../../src/runtime/registry.js';
import { BERT_CONFIG, TORCH_BERT, writeBertTokenizer, writeForeignFolder } from '../helpers/foreign.js';
import { writeSeq2SeqGraphs } from '../helpers/merged-decoder.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-servable-'));
after(() => rmSync(root, { recursive: true, force: true }));
const options = {
  recipes: [parseRecipe('int8'), parseRecipe('q4')],
  threads: 1,
  batch: 2,
  sequence: 16,
  latency: false,
};

/** Compresses and expects MODEL_NOT_SERVABLE, soon and with nothing written. */
async function refused(source: string, name: string, extra: object = {}): Promise<string> {
  const out = join(root, `${name}-out`);
  const t0 = performance.now();
  const error = await compress(source, out, { ...options, ...extra }).then(
    () => assert.fail(`${name}: compressed`),
    (e: unknown) => e,
  );
  const seconds = (performance.now() - t0) / 1000;
  assert.ok(error instanceof TlcError, String(error));
  assert.equal(error.code, 'MODEL_NOT_SERVABLE', error.message);
  // Loosely: a tiny model refused before any variant is built is far under 5 s.
  assert.ok(seconds < 5, `${name}: refused after ${seconds.toFixed(1)} s`);
  assert.equal(existsSync(out), false, 'no --out folder');
  assert.deepEqual(
    readdirSync(root).filter((e) => e.startsWith(`.${name}-out.`)),
    [],
    'no staging folder left',
  );
  assert.match(error.message, /fix: /);
  return error.message;
}

/** The torch BERT export with input dims rewritten to numbers. */
function withStaticShapes(model: Model): Model {
  const inputs = model.graph.inputs.map((v) =>
    v.type?.kind === 'tensor' ? { ...v, type: { ...v.type, shape: [1, 16] } } : v,
  );
  return { ...model, graph: { ...model.graph, inputs } };
}

describe('export-and-compress refuses what the server could not serve', () => {
  it('a bare .onnx without --tokenizer', async () => {
    const message = await refused(TORCH_BERT, 'bare');
    assert.match(message, /no tokenizer\.json/);
    assert.match(message, /pass --tokenizer/);
  });

  it('a folder without tokenizer.json', async () => {
    const dir = writeForeignFolder(join(root, 'no-tok'), TORCH_BERT, { config: BERT_CONFIG });
    assert.match(await refused(dir, 'no-tok'), /put the model's tokenizer\.json in the folder/);
  });

  it('a seq2seq folder with a decoder but no cached decoder', async () => {
    const dir = join(root, 'seq2seq');
    mkdirSync(dir);
    writeSeq2SeqGraphs(dir, 'split');
    rmSync(join(dir, 'decoder_with_past_model.onnx'));
    writeBertTokenizer(dir, 60);
    const message = await refused(dir, 'seq2seq');
    assert.match(message, /decoder with a key\/value cache/);
    assert.match(message, /it has decoder_model\.onnx/);
    assert.match(message, /text2text-generation-with-past/);
    // A merged decoder without its use_cache_branch input (an export without the cache) is refused the same way.
    const merged = join(root, 'merged');
    mkdirSync(merged);
    writeSeq2SeqGraphs(merged, 'merged');
    writeBertTokenizer(merged, 60);
    const path = join(merged, 'decoder_model_merged.onnx');
    const model = loadModel(path);
    const inputs = model.graph.inputs.filter((v) => v.name !== 'use_cache_branch');
    saveModel({ ...model, graph: { ...model.graph, inputs } }, path);
    assert.match(await refused(merged, 'merged'), /decoder_model_merged\.onnx \(without use_cache_branch\)/);
  });

  it('static shapes, naming the input and the axis', async () => {
    const dir = join(root, 'static');
    writeForeignFolder(dir, TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
    saveModel(withStaticShapes(loadModel(TORCH_BERT)), join(dir, 'model.onnx'));
    const message = await refused(dir, 'static');
    assert.match(message, /model\.onnx has static shapes/);
    assert.match(message, /input_ids axis 0 \(batch\) is fixed at 1/);
    assert.match(message, /attention_mask axis 1 \(sequence\) is fixed at 16/);
    assert.match(message, /dynamic batch and sequence axes/);
  });

  it('a config.json whose vocab_size is larger than the embedding table, naming both numbers', async () => {
    const dir = writeForeignFolder(join(root, 'vocab'), TORCH_BERT, {
      config: { ...BERT_CONFIG, vocab_size: 30522 },
      tokenizer: 1000,
    });
    const message = await refused(dir, 'vocab');
    assert.match(message, /config\.json vocab_size is 30522/);
    assert.match(message, /word-embedding table of model\.onnx has 1000 rows/);
  });

  it('a tokenizer larger than the embedding table; a smaller one is fine', async () => {
    const dir = writeForeignFolder(join(root, 'big-tok'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1200,
    });
    assert.match(await refused(dir, 'big-tok'), /tokenizer\.json has 1200 tokens but .* has 1000 rows/);
    const small = writeForeignFolder(join(root, 'small-tok'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 900,
    });
    const report = await compress(small, join(root, 'small-tok-out'), { ...options, recipes: [] });
    assert.equal(report.variants.length, 1);
  });
});

describe('a float16 source', () => {
  it('is widened to float32 first: its int8 and q4 variants are real, run in ONNX Runtime and are kept', async () => {
    const fp32 = loadModel(TORCH_BERT);
    const half: Model = { ...fp32, graph: toFloat16(fp32.graph, { keepIoTypes: false }).graph };
    assert.ok(halfInitializers(half.graph).length > 0);
    const dir = writeForeignFolder(join(root, 'fp16'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
    saveModel(half, join(dir, 'model.onnx'));
    const halfBytes = statSync(join(dir, 'model.onnx')).size;
    const out = join(root, 'models', 'fp16-out');
    const logs: string[] = [];
    const report = await compress(dir, out, { ...options, log: (m) => logs.push(m) });
    assert.ok(
      logs.some((l) => /half-precision initializers widened to float32/.test(l)),
      logs.join('\n'),
    );
    const [base, int8, q4] = report.variants;
    assert.deepEqual(
      report.variants.map((v) => [v.name, v.kept]),
      [
        ['fp32', true],
        ['int8', true],
        ['q4', true],
      ],
    );
    // The fp32 baseline is float32 (twice the half file); int8 and q4 are far smaller than it.
    assert.ok(base!.bytes > 1.8 * halfBytes, `fp32 ${base!.bytes} vs half ${halfBytes}`);
    assert.ok(int8!.bytes < 0.5 * base!.bytes, `int8 ${int8!.bytes} vs fp32 ${base!.bytes}`);
    assert.ok(q4!.bytes < 0.5 * base!.bytes, `q4 ${q4!.bytes} vs fp32 ${base!.bytes}`);
    assert.ok(int8!.drift.meanCosine > 0.98, `int8 cosine ${int8!.drift.meanCosine}`);
    for (const v of report.variants)
      for (const f of v.files) {
        assert.deepEqual(halfInitializers(loadModel(join(out, f)).graph), [], `${f} has no float16 weights`);
        const session = await createSession(join(out, f), { threads: 1 });
        try {
          const ids = ortTensor('int64', BigInt64Array.from([2n, 7n, 4n, 3n]), [1, 4]);
          const mask = ortTensor('int64', BigInt64Array.from([1n, 1n, 1n, 1n]), [1, 4]);
          const logits = (await runSession(session, { input_ids: ids, attention_mask: mask })).logits!;
          assert.equal(logits.type, 'float32');
          assert.deepEqual(logits.dims, [1, 4, 1000]);
        } finally {
          await session.release();
        }
      }
    // And they serve: every variant loads and answers its warm-up request (the served top-k is float32).
    const registry = new ModelRegistry(join(root, 'models'), {
      device: 'cpu',
      threads: 1,
      workersPerVariant: 1,
      batching: { maxBatchSize: 4, maxDelayMs: 1, maxQueue: 16, timeoutMs: 10_000, concurrency: 1 },
      drainMs: 0,
    });
    try {
      const handle = await registry.load('fp16-out');
      assert.equal(handle.status, 'ready', handle.error);
      assert.deepEqual([...handle.variants.keys()], ['fp32', 'int8', 'q4']);
      assert.deepEqual([...handle.variantErrors], []);
    } finally {
      await registry.close();
    }
  });
});

describe('a float16 source with external data', () => {
  it('is widened and written inline when it fits, leaving no unused data file', async () => {
    const fp32 = loadModel(TORCH_BERT);
    const half: Model = { ...fp32, graph: toFloat16(fp32.graph, { keepIoTypes: false }).graph };
    const dir = writeForeignFolder(join(root, 'fp16-ext'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    saveModel(half, join(dir, 'model.onnx'), { externalData: true });
    assert.ok(existsSync(join(dir, 'model.onnx_data')));
    const out = join(root, 'fp16-ext-out');
    const report = await compress(dir, out, { ...options, recipes: [] });
    assert.deepEqual(report.variants[0]!.files, ['model.onnx']);
    assert.equal(existsSync(join(out, 'model.onnx_data')), false);
    assert.deepEqual(halfInitializers(loadModel(join(out, 'model.onnx')).graph), []);
  });
});

describe('symbolic axes', () => {
  it('makes fixed batch and sequence axes symbolic where the graph computes its shapes', async () => {
    const fixed = withStaticShapes(loadModel(TORCH_BERT));
    assert.deepEqual(
      fixedAxes(fixed.graph).map((f) => `${f.input}:${f.axis}:${f.what}:${f.size}`),
      [
        'input_ids:0:batch:1',
        'input_ids:1:sequence:16',
        'attention_mask:0:batch:1',
        'attention_mask:1:sequence:16',
      ],
    );
    const { graph, changes } = symbolicAxes(fixed.graph);
    assert.equal(changes.length, 4);
    assert.deepEqual(fixedAxes(graph), []);
    const shape = graph.outputs[0]!.type?.kind === 'tensor' ? graph.outputs[0]!.type.shape : undefined;
    assert.deepEqual(shape, ['batch', 'sequence', 1000]);
    const path = join(root, 'symbolic.onnx');
    saveModel({ ...fixed, graph }, path);
    assert.equal(await checkSymbolicAxes(path, 1000), undefined);
  });

  it('says why when the graph bakes the exported shape into a Reshape', async () => {
    const tensor = (shape: number[]) => ({ kind: 'tensor' as const, elemType: DataType.INT64, shape });
    const baked: Model = {
      irVersion: 8,
      opsetImports: new Map([['', 17]]),
      graph: {
        name: 'baked',
        nodes: [
          {
            name: 'reshape',
            opType: 'Reshape',
            domain: '',
            inputs: ['input_ids', 'shape'],
            outputs: ['out'],
            attributes: {},
          },
        ],
        inputs: [{ name: 'input_ids', type: tensor([1, 4]) }],
        outputs: [{ name: 'out', type: tensor([1, 4]) }],
        valueInfo: [],
        initializers: new Map([['shape', int64Tensor('shape', [2], [1, 4])]]),
        sparseInitializers: [],
      },
    };
    const path = join(root, 'baked.onnx');
    saveModel({ ...baked, graph: symbolicAxes(baked.graph).graph }, path);
    assert.match((await checkSymbolicAxes(path, 10))!, /Reshape|shape|size/i);
  });
});
