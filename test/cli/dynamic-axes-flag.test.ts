/**
 * `--dynamic-axes` (issue 28): a static-shape export (torch.onnx.export without dynamic_axes) is refused with a
 * fix that names the flag; with it, export-and-compress makes the batch and sequence axes symbolic, says so in
 * its output and report.json, and every variant runs — and serves — at other batch sizes and lengths.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { fixedAxes } from '../../src/model-folder/graph-facts.js';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { int64Tensor } from '../../src/onnx/tensor.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import { ModelRegistry } from '../../src/runtime/registry.js';
import { exportAndCompress } from '../helpers/compress-cli.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-dynamic-axes-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The torch BERT export with its inputs fixed at [1, 16], as an export without dynamic_axes writes them. */
function staticFolder(name: string, bake = false): string {
  const dir = writeForeignFolder(join(root, name), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
  const model = loadModel(TORCH_BERT);
  const inputs = model.graph.inputs.map((v) =>
    v.type?.kind === 'tensor' ? { ...v, type: { ...v.type, shape: [1, 16] } } : v,
  );
  const fixed: Model = { ...model, graph: { ...model.graph, inputs } };
  saveModel(bake ? bakedShape(fixed) : fixed, join(dir, 'model.onnx'));
  return dir;
}

/** `logits` reshaped to the exported [1, 16, 1000] by a constant, as some exporters write a view: no other shape runs. */
function bakedShape(model: Model): Model {
  const nodes = model.graph.nodes.map((n) => ({
    ...n,
    outputs: n.outputs.map((o) => (o === 'logits' ? 'logits_raw' : o)),
  }));
  const reshape = {
    name: 'baked',
    opType: 'Reshape',
    domain: '',
    inputs: ['logits_raw', 'baked_shape'],
    outputs: ['logits'],
    attributes: {},
  };
  const initializers = new Map(model.graph.initializers);
  initializers.set('baked_shape', int64Tensor('baked_shape', [3], [1, 16, 1000]));
  return { ...model, graph: { ...model.graph, nodes: [...nodes, reshape], initializers } };
}

describe('--dynamic-axes', () => {
  it('is what the static-shape refusal tells the user to pass', async () => {
    const source = staticFolder('refused');
    const error = await compress(source, join(root, 'refused-out'), {
      recipes: [parseRecipe('int8')],
      threads: 1,
      batch: 2,
      sequence: 16,
      latency: false,
    }).then(
      () => assert.fail('compressed a static-shape export'),
      (e: unknown) => e as Error & { code?: string },
    );
    assert.equal(error.code, 'MODEL_NOT_SERVABLE');
    assert.match(error.message, /model\.onnx has static shapes/);
    assert.match(error.message, /fix: pass --dynamic-axes to make them symbolic/);
  });

  it('refuses a graph that bakes the exported shape in, with the re-export fix; says when there was nothing to do', async () => {
    const small = { recipes: [], threads: 1, batch: 2, sequence: 16, latency: false, dynamicAxes: true };
    const out = join(root, 'baked-out');
    const error = await compress(staticFolder('baked', true), out, small).then(
      () => assert.fail('compressed a graph that only runs at its exported shape'),
      (e: unknown) => e as Error & { code?: string },
    );
    assert.equal(error.code, 'MODEL_NOT_SERVABLE');
    assert.match(
      error.message,
      /--dynamic-axes made its batch and sequence axes symbolic, but the graph still fails/,
    );
    assert.match(error.message, /fix: re-export with dynamic batch and sequence axes/);
    assert.equal(existsSync(out), false);
    const logs: string[] = [];
    const dynamic = writeForeignFolder(join(root, 'dynamic'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    const report = await compress(dynamic, join(root, 'dynamic-out'), { ...small, log: (m) => logs.push(m) });
    assert.equal(report.sourceFixes, undefined);
    assert.ok(
      logs.some((l) => /--dynamic-axes: no input of model\.onnx has a fixed/.test(l)),
      logs.join('\n'),
    );
  });

  it('makes the axes symbolic: reported, and every variant runs and serves at other shapes', async () => {
    const source = staticFolder('static');
    const out = join(root, 'models', 'static-out');
    const result = exportAndCompress(source, out, ['--recipe', 'int8', '--recipe', 'q4', '--dynamic-axes']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      /fixed in the source: model\.onnx: --dynamic-axes: input_ids axis 0 \(batch\) 1 → symbolic/,
    );
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { sourceFixes?: string[] };
    assert.equal(report.sourceFixes?.length, 1);
    assert.match(report.sourceFixes![0]!, /attention_mask axis 1 \(sequence\) 16 → symbolic/);
    for (const file of ['model.onnx', 'model_int8.onnx', 'model_q4.onnx']) {
      assert.deepEqual(fixedAxes(loadModel(join(out, file)).graph), [], `${file}: no fixed axis`);
      const session = await createSession(join(out, file), { threads: 1 });
      try {
        const ids = ortTensor(
          'int64',
          BigInt64Array.from({ length: 21 }, (_, i) => BigInt(5 + i)),
          [3, 7],
        );
        const mask = ortTensor(
          'int64',
          BigInt64Array.from({ length: 21 }, () => 1n),
          [3, 7],
        );
        const logits = (await runSession(session, { input_ids: ids, attention_mask: mask })).logits!;
        assert.deepEqual(logits.dims, [3, 7, 1000], file);
      } finally {
        await session.release();
      }
    }
    // The server's load check (runtime/graph-truth.ts) refuses static shapes: this folder loads and answers.
    const registry = new ModelRegistry(join(root, 'models'), {
      device: 'cpu',
      threads: 1,
      workersPerVariant: 1,
      batching: { maxBatchSize: 4, maxDelayMs: 1, maxQueue: 16, timeoutMs: 10_000, concurrency: 1 },
      drainMs: 0,
    });
    try {
      const handle = await registry.load('static-out');
      assert.equal(handle.status, 'ready', handle.error);
      assert.deepEqual([...handle.variants.keys()], ['fp32', 'int8', 'q4']);
      assert.deepEqual([...handle.variantErrors], []);
    } finally {
      await registry.close();
    }
  });
});
