/**
 * `--dynamic-axes` (issue 28): a static-shape export (torch.onnx.export without dynamic_axes) is refused with a
 * fix that names the flag; with it, export-and-compress makes the batch and sequence axes symbolic, says so in
 * its output and report.json, and every variant runs — and serves — at other batch sizes and lengths.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { fixedAxes } from '../../src/model-folder/graph-facts.js';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import type { Model } from '../../src/onnx/ir.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import { ModelRegistry } from '../../src/runtime/registry.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const ROOT = join(import.meta.dirname, '..', '..');
const root = mkdtempSync(join(tmpdir(), 'tlc-dynamic-axes-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The torch BERT export with its inputs fixed at [1, 16], as an export without dynamic_axes writes them. */
function staticFolder(name: string): string {
  const dir = writeForeignFolder(join(root, name), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
  const model = loadModel(TORCH_BERT);
  const inputs = model.graph.inputs.map((v) =>
    v.type?.kind === 'tensor' ? { ...v, type: { ...v.type, shape: [1, 16] } } : v,
  );
  const fixed: Model = { ...model, graph: { ...model.graph, inputs } };
  saveModel(fixed, join(dir, 'model.onnx'));
  return dir;
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

  it('makes the axes symbolic: reported, and every variant runs and serves at other shapes', async () => {
    const source = staticFolder('static');
    const out = join(root, 'models', 'static-out');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'src', 'cli', 'export-and-compress.ts'),
        source,
        '--out',
        out,
        '--recipe',
        'int8',
        '--recipe',
        'q4',
        '--dynamic-axes',
        '--no-latency',
        '--threads',
        '1',
        '--batch',
        '2',
        '--sequence',
        '16',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
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
