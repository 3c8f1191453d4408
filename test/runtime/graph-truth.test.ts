/**
 * The graph is the truth: the word-embedding, position and hidden sizes read from a graph's tables (also
 * without decoding its weights), and a config.json or tokenizer.json that promises more refused at compress
 * time and at load, naming the file and both numbers.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { factMismatches, fixedAxes, graphFacts } from '../../src/model-folder/graph-facts.js';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import { skimGraph } from '../../src/onnx/skim.js';
import { ModelRegistry } from '../../src/runtime/registry.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';
import { MARIAN_DIR } from '../helpers/marian-tiny.js';
import { TINY_SEQ2SEQ, writeSeq2SeqGraphs } from '../helpers/merged-decoder.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-graph-truth-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('graph facts', () => {
  it("reads the torch BERT export's tables, the same with and without decoding weights", () => {
    const facts = graphFacts(loadModel(TORCH_BERT).graph);
    assert.deepEqual(facts, { vocabRows: 1000, hidden: 64, positionRows: 128 });
    const skimmed = skimGraph(TORCH_BERT);
    assert.deepEqual(graphFacts(skimmed), facts);
    const loaded = loadModel(TORCH_BERT).graph;
    const typed = (g: typeof loaded) => [...g.inputs, ...g.outputs].map((v) => [v.name, v.type]);
    assert.deepEqual(typed(skimmed), typed(loaded));
    assert.deepEqual(
      skimmed.nodes.map((n) => [n.opType, n.inputs, n.outputs]),
      loaded.nodes.map((n) => [n.opType, n.inputs, n.outputs]),
    );
  });

  it('finds the table inside a merged decoder (If branches) and in an encoder', () => {
    const dir = join(root, 'graphs');
    mkdirSync(dir);
    writeSeq2SeqGraphs(dir, 'merged');
    for (const file of ['encoder_model.onnx', 'decoder_model_merged.onnx']) {
      const facts = graphFacts(loadModel(join(dir, file)).graph);
      assert.equal(facts.vocabRows, TINY_SEQ2SEQ.vocabSize, file);
      assert.equal(facts.hidden, TINY_SEQ2SEQ.dModel, file);
      assert.deepEqual(graphFacts(skimGraph(join(dir, file))), facts, file);
    }
  });

  it("takes PyTorch's Marian export as it is: a cached decoder step's ids are [batch, 1]", () => {
    for (const file of ['encoder_model.onnx', 'decoder_model.onnx', 'decoder_with_past_model.onnx']) {
      const graph = skimGraph(join(MARIAN_DIR, file));
      assert.deepEqual(fixedAxes(graph), [], file);
      assert.deepEqual(graphFacts(graph), graphFacts(loadModel(join(MARIAN_DIR, file)).graph), file);
    }
  });

  it('names the file, the field and both numbers; a smaller tokenizer or config is fine', () => {
    const facts = { vocabRows: 8000, hidden: 64, positionRows: 512 };
    const sources = { graphFile: 'onnx/model.onnx' };
    assert.deepEqual(
      factMismatches(facts, {
        ...sources,
        config: { vocab_size: 30522, max_position_embeddings: 1024, hidden_size: 128 },
        tokenizerVocab: 30522,
      }),
      [
        'config.json vocab_size is 30522 but the word-embedding table of onnx/model.onnx has 8000 rows; set vocab_size to 8000 (or use the config.json exported with this model)',
        'config.json max_position_embeddings is 1024 but the position table of onnx/model.onnx has 512 rows; set max_position_embeddings to 512',
        'config.json hidden_size is 128 but the word-embedding table of onnx/model.onnx is 64 wide; use the config.json exported with this model',
        'tokenizer.json has 30522 tokens but the word-embedding table of onnx/model.onnx has 8000 rows; use the tokenizer the model was trained with',
      ],
    );
    const fine = { vocab_size: 8000, max_position_embeddings: 512, hidden_size: 64 };
    assert.deepEqual(factMismatches(facts, { ...sources, config: fine, tokenizerVocab: 7999 }), []);
    // ALBERT's factorised embedding is embedding_size wide, not hidden_size.
    assert.deepEqual(
      factMismatches(facts, { ...sources, config: { ...fine, hidden_size: 768, embedding_size: 64 } }),
      [],
    );
  });
});

describe('a config.json with a wrong vocab_size, and static shapes', () => {
  const wrong = { ...BERT_CONFIG, vocab_size: 30522 };
  const registry = (dir: string) =>
    new ModelRegistry(dir, {
      device: 'cpu',
      threads: 1,
      workersPerVariant: 1,
      batching: { maxBatchSize: 4, maxDelayMs: 1, maxQueue: 16, timeoutMs: 10_000, concurrency: 1 },
      drainMs: 0,
    });

  it('is refused at compress time, naming both numbers', async () => {
    const dir = writeForeignFolder(join(root, 'compress-src'), TORCH_BERT, {
      config: wrong,
      tokenizer: 1000,
    });
    await assert.rejects(
      compress(dir, join(root, 'compress-out'), { recipes: [parseRecipe('int8')], latency: false }),
      (e: Error) =>
        /MODEL_NOT_SERVABLE|vocab_size/.test(`${(e as { code?: string }).code} ${e.message}`) &&
        /config\.json vocab_size is 30522 but the word-embedding table of model\.onnx has 1000 rows/.test(
          e.message,
        ),
    );
  });

  it('is refused at load, in a foreign folder and in a compressed one whose config.json was changed', async () => {
    const models = join(root, 'models');
    mkdirSync(models);
    writeForeignFolder(join(models, 'foreign'), TORCH_BERT, { config: wrong, tokenizer: 1000 });
    // Static shapes load in ONNX Runtime and then fail every request ("invalid dimensions"): refused at load.
    const fixed = writeForeignFolder(join(models, 'static'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    const model = loadModel(TORCH_BERT);
    const inputs = model.graph.inputs.map((v) =>
      v.type?.kind === 'tensor' ? { ...v, type: { ...v.type, shape: [1, 16] } } : v,
    );
    saveModel({ ...model, graph: { ...model.graph, inputs } }, join(fixed, 'model.onnx'));
    const good = writeForeignFolder(join(root, 'good'), TORCH_BERT, { config: BERT_CONFIG, tokenizer: 1000 });
    const compressed = join(models, 'compressed');
    await compress(good, compressed, { recipes: [], latency: false, threads: 1, batch: 2, sequence: 8 });
    writeFileSync(join(compressed, 'config.json'), JSON.stringify(wrong));
    const r = registry(models);
    try {
      const staticHandle = await r.load('static');
      assert.equal(staticHandle.status, 'failed');
      assert.match(
        staticHandle.error!,
        /model\.onnx has static shapes: input_ids axis 0 \(batch\) is fixed at 1/,
      );
      assert.match(
        staticHandle.error!,
        /fix: build a servable folder with `export-and-compress SOURCE --dynamic-axes`, or re-export with dynamic batch and sequence axes/,
      );
      for (const [name, graph] of [
        ['foreign', 'model.onnx'],
        ['compressed', 'model.onnx'],
      ] as const) {
        const handle = await r.load(name);
        assert.equal(handle.status, 'failed', name);
        assert.match(
          handle.error!,
          new RegExp(
            `config\\.json vocab_size is 30522 but the word-embedding table of .*${graph} has 1000 rows`,
          ),
          name,
        );
        assert.equal(handle.variants.size, 0, `${name}: no worker started`);
      }
    } finally {
      await r.close();
    }
  });
});
