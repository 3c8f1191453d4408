/**
 * The flags that reach the passes' own options (issue 28) change what is written: q4/q8 block size and accuracy
 * level reach MatMulNBits, --static-activations the QuantizeLinear zero points, --quantize-exclude leaves the
 * named nodes float in every quantization step (fp16 keeps them in fp32), --quantize-include narrows int8,
 * --calibration-bins changes the percentile ranges, --prune-scope per-tensor prunes each weight to S and
 * --prune-embeddings prunes the embedding tables. Each flag is validated with a CLI_USAGE message naming it and
 * the value, and refused when no recipe has the step it steers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { passOptions, quantizeGlobs } from '../../src/cli/commands/compress-pass-flags.js';
import { applyRecipe } from '../../src/compress/apply-recipe.js';
import { compress } from '../../src/compress/compress.js';
import { calibrateOptions } from '../../src/compress/compress-variant.js';
import { quantizeSelection } from '../../src/compress/options.js';
import { decodeSparseWeights } from '../../src/compress/prune/sparse-decode.js';
import { calibrate } from '../../src/compress/quantize/calibrate.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { sampleFeeds } from '../../src/compress/validate/sample-inputs.js';
import { DataType } from '../../src/onnx/dtype.js';
import { loadModel } from '../../src/onnx/io.js';
import type { Graph, Node } from '../../src/onnx/ir.js';
import { tensorToNumbers } from '../../src/onnx/tensor-values.js';
import { createSession } from '../../src/ort/session.js';
import { exportAndCompress } from '../helpers/compress-cli.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-pass-flags-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const small = { threads: 1, batch: 2, sequence: 16, latency: false } as const;
let source = '';
before(() => {
  source = writeForeignFolder(join(dir, 'bert'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
});

const recipes = (...texts: string[]) => texts.map(parseRecipe);
const intAttr = (node: Node, name: string) => {
  const a = node.attributes[name];
  return a?.type === 'INT' ? Number(a.value) : undefined;
};
const byName = (graph: Graph, name: string) => graph.nodes.find((n) => n.name === name);
const dtype = (graph: Graph, name: string) => graph.initializers.get(name)?.dataType;

describe('pass flags are validated at the boundary', () => {
  const usage = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e: Error & { code?: string }) => e.code === 'CLI_USAGE' && pattern.test(e.message));

  it('names the flag and the value', () => {
    const q4 = recipes('q4');
    usage(() => passOptions({ nbitsBlockSize: '48' }, q4), /--nbits-block-size must be a power of two.*"48"/);
    usage(
      () => passOptions({ nbitsBlockSize: '8' }, q4),
      /--nbits-block-size must be an integer ≥ 16, got "8"/,
    );
    usage(() => passOptions({ nbitsAccuracyLevel: '5' }, q4), /--nbits-accuracy-level must be one of .*"5"/);
    usage(() => passOptions({ pruneScope: 'layer' }, recipes('prune:0.5')), /--prune-scope .*"layer"/);
    usage(
      () => passOptions({ staticActivations: 'int4' }, recipes('static-int8')),
      /--static-activations must be one of uint8, int8, got "int4"/,
    );
    usage(
      () => passOptions({ calibrationBins: '15', calibration: 'entropy' }, recipes('static-int8')),
      /--calibration-bins must be an (even )?integer ≥ 16, got "15"/,
    );
    usage(
      () => passOptions({ calibrationBins: '64', calibration: 'minmax' }, recipes('static-int8')),
      /--calibration is minmax; add --calibration percentile/,
    );
    usage(() => quantizeGlobs(['op:'], '--quantize-exclude'), /--quantize-exclude takes .*got "op:"/);
    usage(() => quantizeGlobs(['/MatMul/'], '--quantize-include'), /not a regular expression/);
  });

  it('refuses a flag whose step no recipe has', () => {
    usage(
      () => passOptions({ nbitsBlockSize: '16' }, recipes('int8')),
      /--nbits-block-size applies to q4, q8.*--recipe q4/,
    );
    usage(
      () => passOptions({ pruneEmbeddings: true }, recipes('q4')),
      /--prune-embeddings applies to prune.*\(q4\)/,
    );
    usage(
      () => passOptions({ quantizeExclude: ['x'] }, recipes('heads:0.25')),
      /--quantize-exclude applies to int8/,
    );
    usage(
      () => passOptions({ staticActivations: 'int8' }, recipes('int8')),
      /--static-activations applies to static-int8/,
    );
  });

  it('sets the options it validated', () => {
    assert.deepEqual(
      passOptions(
        {
          nbitsBlockSize: '64',
          nbitsAccuracyLevel: '0',
          quantizeExclude: ['op:Gather'],
          staticActivations: 'int8',
          calibration: 'percentile',
          calibrationBins: '256',
          pruneScope: 'per-tensor',
          pruneEmbeddings: true,
          dynamicAxes: true,
        },
        recipes('prune:0.5+q4', 'static-int8'),
      ),
      {
        nbitsBlockSize: 64,
        nbitsAccuracyLevel: 0,
        quantizeExclude: ['op:Gather'],
        staticActivations: 'int8',
        calibrationBins: 256,
        pruneScope: 'per-tensor',
        pruneEmbeddings: true,
        dynamicAxes: true,
      },
    );
    assert.deepEqual(quantizeSelection(['/blocks.1/*', 'op:MatMul'], ['op:Gather']), {
      includeNodes: ['/blocks.1/*'],
      excludeNodes: [],
      includeOps: ['MatMul'],
      excludeOps: ['Gather'],
    });
  });
});

describe('quantization flags change the written variants', () => {
  it('block size, accuracy level, activation type and --quantize-exclude in every quantizer', async () => {
    const out = join(dir, 'quantized');
    await compress(source, out, {
      ...small,
      recipes: recipes('q4', 'q8', 'int8', 'static-int8', 'fp16'),
      nbitsBlockSize: 16,
      nbitsAccuracyLevel: 0,
      staticActivations: 'int8',
      quantizeExclude: ['/blocks.0/f1/MatMul', 'op:Gather'],
    });
    const graph = (file: string) => loadModel(join(out, file)).graph;
    for (const file of ['model_q4.onnx', 'model_q8.onnx']) {
      const g = graph(file);
      const nbits = g.nodes.filter((n) => n.opType === 'MatMulNBits');
      assert.ok(nbits.length >= 10, `${file}: ${nbits.length} MatMulNBits`);
      // Defaults are 32 and 4.
      for (const n of nbits) {
        assert.equal(intAttr(n, 'block_size'), 16, `${file} ${n.name}`);
        assert.equal(intAttr(n, 'accuracy_level'), 0, `${file} ${n.name}`);
      }
    }
    for (const file of ['model_q4.onnx', 'model_q8.onnx', 'model_int8.onnx', 'model_static_int8.onnx']) {
      const g = graph(file);
      assert.equal(byName(g, '/blocks.0/f1/MatMul')?.opType, 'MatMul', `${file}: excluded MatMul kept`);
      assert.equal(dtype(g, 'onnx::MatMul_330'), DataType.FLOAT, `${file}: its weight stays float32`);
      assert.notEqual(byName(g, '/blocks.0/f2/MatMul')?.opType, 'MatMul', `${file}: the next one quantized`);
      // op:Gather: int8 would otherwise quantize the embedding table (DynamicInt8Options.embeddings).
      assert.equal(dtype(g, 'tok.weight'), DataType.FLOAT, `${file}: the embedding table stays float32`);
    }
    const qdq = graph('model_static_int8.onnx');
    const zeroPoints = qdq.nodes
      .filter((n) => n.opType === 'QuantizeLinear')
      .map((n) => qdq.initializers.get(n.inputs[2] ?? '')?.dataType);
    assert.ok(zeroPoints.length > 0);
    // Activations int8 (symmetric) instead of the default uint8.
    assert.deepEqual(new Set(zeroPoints), new Set([DataType.INT8]));
    const half = graph('model_fp16.onnx');
    assert.equal(dtype(half, 'onnx::MatMul_330'), DataType.FLOAT, 'fp16 keeps the excluded node in fp32');
    assert.equal(dtype(half, 'tok.weight'), DataType.FLOAT, 'and the Gathers');
    assert.equal(dtype(half, 'onnx::MatMul_331'), DataType.FLOAT16, 'the rest is fp16');
  });

  it('export-and-compress --quantize-exclude: warns about a glob that left nothing float', () => {
    const out = join(dir, 'warned');
    const result = exportAndCompress(source, out, [
      '--recipe',
      'int8',
      '--quantize-exclude',
      '/blocks.0/f1/MatMul',
      '--quantize-exclude',
      '/blocks.9/*',
      '--quantize-exclude',
      'op:Gather',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /warning: --quantize-exclude '\/blocks\.9\/\*' matched no node/);
    assert.doesNotMatch(result.stderr, /--quantize-exclude '(\/blocks\.0\/f1\/MatMul|op:Gather)' matched/);
    assert.equal(
      byName(loadModel(join(out, 'model_int8.onnx')).graph, '/blocks.0/f1/MatMul')?.opType,
      'MatMul',
    );
  });

  it('--quantize-include narrows int8 to the named nodes', () => {
    const model = loadModel(TORCH_BERT);
    const selection = quantizeSelection(['/blocks.1/*', 'op:MatMul'], undefined)!;
    const { model: q } = applyRecipe(model, parseRecipe('int8'), { quantizeSelection: selection });
    const ops = (name: string) => byName(q.graph, name)?.opType;
    assert.equal(ops('/blocks.0/att/q/MatMul'), 'MatMul');
    assert.equal(ops('/head/MatMul'), 'MatMul');
    assert.equal(ops('/blocks.1/att/q/MatMul'), undefined, 'replaced by its quantized form');
    assert.equal(dtype(q.graph, 'onnx::MatMul_332'), undefined);
    assert.equal(dtype(q.graph, 'tok.weight'), DataType.FLOAT, 'op:MatMul leaves the Gather out');
  });

  it('--calibration-bins reaches the entropy histogram', async () => {
    const model = loadModel(TORCH_BERT);
    const session = await createSession(TORCH_BERT, { threads: 1 });
    const feeds = sampleFeeds(session, { batch: 2, sequence: 16, vocabSize: 1000, firstId: 5 });
    await session.release();
    const ranges = async (calibrationBins?: number) =>
      calibrate(
        model,
        [feeds],
        calibrateOptions(
          {
            recipes: [],
            calibration: 'entropy',
            threads: 1,
            ...(calibrationBins !== undefined && { calibrationBins }),
          },
          undefined,
        ),
      );
    const coarse = await ranges(256);
    const fine = await ranges();
    assert.equal(coarse.size, fine.size);
    const differ = [...fine].filter(([name, r]) => coarse.get(name)!.max !== r.max);
    assert.ok(differ.length > 0, '256 bins give other ranges than 2048');
  });
});

describe('pruning flags change the written variant', () => {
  const sparsity = (graph: Graph, name: string) => {
    const values = tensorToNumbers(graph.initializers.get(name)!);
    return values.filter((v) => v === 0).length / values.length;
  };

  it('by default the embedding table stays dense, and the reason names --prune-embeddings', () => {
    const { model, changes } = applyRecipe(loadModel(TORCH_BERT), parseRecipe('prune:0.5'));
    assert.equal(sparsity(decodeSparseWeights(model.graph).graph, 'tok.weight'), 0);
    assert.ok(
      changes.some(
        (c) =>
          c.kind === 'declined' && c.target.includes('tok.weight') && /--prune-embeddings/.test(c.detail),
      ),
      changes.map((c) => `${c.target}: ${c.detail}`).join('\n'),
    );
  });

  it('--prune-embeddings prunes the tables; --prune-scope per-tensor prunes each weight to S', async () => {
    const out = join(dir, 'pruned');
    await compress(source, out, {
      ...small,
      recipes: recipes('prune:0.5'),
      pruneEmbeddings: true,
      pruneScope: 'per-tensor',
    });
    const graph = decodeSparseWeights(loadModel(join(out, 'model_pruned50.onnx')).graph).graph;
    for (const name of [
      'tok.weight',
      'pos.weight',
      'onnx::MatMul_323',
      'onnx::MatMul_330',
      'onnx::MatMul_340',
    ]) {
      const s = sparsity(graph, name);
      assert.ok(Math.abs(s - 0.5) < 0.01, `${name}: ${s}`);
    }
  });
});
