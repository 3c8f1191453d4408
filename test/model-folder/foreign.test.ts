/**
 * Folders from other tools: layouts found (and why not), config.json read with each family's field names, the
 * task detected from architectures or the graph, parameters counted as PyTorch counts them (the tied head that
 * the exporter folded into its own initializer once).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readForeignModel } from '../../src/model-folder/foreign.js';
import { hfFactsOf } from '../../src/model-folder/hf-facts.js';
import { findLayout } from '../../src/model-folder/layout.js';
import { modelFolderCheck, modelFolderTlc } from '../../src/model-folder/read.js';
import { DataType } from '../../src/onnx/dtype.js';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import type { Attribute, Model, Node } from '../../src/onnx/ir.js';
import { embeddingFacts } from '../../src/onnx/tied-weights.js';
import {
  BERT_CONFIG,
  GPT_CONFIG,
  TORCH_BERT,
  TORCH_BERT_PARAMETERS,
  TORCH_GPT,
  TORCH_GPT_PARAMETERS,
  writeForeignFolder,
} from '../helpers/foreign.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-foreign-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const dir = join(root, `m${n++}`);
  mkdirSync(dir);
  return dir;
};
const touch = (dir: string, ...files: string[]) => {
  for (const f of files) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), '');
  }
};

describe('findLayout', () => {
  it('finds one graph at the root or under onnx/, preferring onnx/', () => {
    const a = fresh();
    touch(a, 'model.onnx');
    assert.deepEqual(findLayout(a), { ok: true, layout: { kind: 'single', model: 'model.onnx' } });
    touch(a, 'onnx/model.onnx');
    assert.deepEqual(findLayout(a), { ok: true, layout: { kind: 'single', model: 'onnx/model.onnx' } });
  });

  it("finds Optimum's seq2seq layouts: split decoders and the merged one", () => {
    const split = fresh();
    touch(split, 'onnx/encoder_model.onnx', 'onnx/decoder_model.onnx', 'onnx/decoder_with_past_model.onnx');
    assert.deepEqual(findLayout(split), {
      ok: true,
      layout: {
        kind: 'seq2seq',
        encoder: 'onnx/encoder_model.onnx',
        decoder: 'onnx/decoder_model.onnx',
        decoderWithPast: 'onnx/decoder_with_past_model.onnx',
      },
    });
    const merged = fresh();
    touch(merged, 'encoder_model.onnx', 'decoder_model_merged.onnx');
    assert.deepEqual(findLayout(merged), {
      ok: true,
      layout: { kind: 'seq2seq', encoder: 'encoder_model.onnx', decoderMerged: 'decoder_model_merged.onnx' },
    });
  });

  it('says why a folder holds no model', () => {
    const empty = fresh();
    const r = findLayout(empty);
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /no \.onnx graph/);
    const odd = fresh();
    touch(odd, 'weights.onnx', 'encoder_model.onnx');
    const s = findLayout(odd);
    assert.match((s as { reason: string }).reason, /encoder_model\.onnx, weights\.onnx.*not a layout/);
    assert.equal(findLayout(join(root, 'absent')).ok, false);
  });
});

describe('hfFactsOf', () => {
  it("reads each family's field names", () => {
    assert.deepEqual(hfFactsOf(GPT_CONFIG), {
      architectures: ['GPT2LMHeadModel'],
      modelType: 'gpt2',
      vocabSize: 1000,
      hidden: 64,
      layers: 2,
      heads: 4,
      maxLength: 128,
    });
    const marian = hfFactsOf({
      model_type: 'marian',
      d_model: 512,
      encoder_layers: 6,
      encoder_attention_heads: 8,
      encoder_ffn_dim: 2048,
      max_position_embeddings: 512,
      decoder_start_token_id: 58100,
      is_encoder_decoder: true,
      normalize_before: false,
    });
    assert.equal(marian.hidden, 512);
    assert.equal(marian.ffn, 2048);
    assert.equal(marian.decoderStart, 58100);
    assert.equal(marian.isEncoderDecoder, true);
    assert.equal(marian.preLayerNorm, false);
  });

  it("subtracts RoBERTa's padding offset from the position table (514 → 512)", () => {
    assert.equal(
      hfFactsOf({ model_type: 'roberta', max_position_embeddings: 514, pad_token_id: 1 }).maxLength,
      512,
    );
    assert.equal(hfFactsOf({ model_type: 'bert', max_position_embeddings: 512 }).maxLength, 512);
  });

  it('ignores malformed values', () => {
    const f = hfFactsOf({ vocab_size: '1000', hidden_size: -3, architectures: 'BertForMaskedLM' });
    assert.equal(f.vocabSize, undefined);
    assert.equal(f.hidden, undefined);
    assert.deepEqual(f.architectures, []);
  });
});

describe('embeddingFacts', () => {
  it("finds PyTorch's constant-folded, transposed copy of the tied embedding", () => {
    const facts = embeddingFacts(loadModel(TORCH_BERT).graph);
    assert.deepEqual([...facts.tables].sort(), ['pos.weight', 'tok.weight']);
    assert.deepEqual(facts.copies, [{ copy: 'onnx::MatMul_342', of: 'tok.weight', transposed: true }]);
  });

  it('finds no copy where the output projection is untied', () => {
    assert.deepEqual(embeddingFacts(loadModel(TORCH_GPT).graph).copies, []);
  });
});

describe('readForeignModel', () => {
  it('reads a BERT export with config.json: task, sizes, and parameters as PyTorch counts them', () => {
    const dir = writeForeignFolder(fresh(), TORCH_BERT, { config: BERT_CONFIG });
    const m = readForeignModel(dir);
    assert.equal(m.tlc.task, 'fill-mask');
    assert.match(m.detected.evidence, /BertForMaskedLM/);
    assert.equal(m.tlc.parameters.total, TORCH_BERT_PARAMETERS);
    assert.equal(m.tlc.parameters.nonEmbedding, TORCH_BERT_PARAMETERS - 1000 * 64 - 128 * 64);
    assert.deepEqual(m.parameters.tiedCopies, ['onnx::MatMul_342']);
    assert.deepEqual(
      { ...m.tlc.architecture },
      {
        family: 'bert',
        layers: 2,
        dModel: 64,
        heads: 4,
        ffn: 256,
        maxLength: 128,
        vocabSize: 1000,
        preLayerNorm: false,
        activation: 'gelu',
      },
    );
    assert.deepEqual(
      m.tlc.variants.map((v) => v.files),
      [['model.onnx']],
    );
  });

  it('without config.json measures vocabulary and length in the graph', () => {
    const dir = writeForeignFolder(fresh(), TORCH_BERT, { place: 'onnx' });
    const tlc = modelFolderTlc(dir);
    assert.equal(tlc.task, 'fill-mask');
    assert.equal(tlc.architecture.vocabSize, 1000);
    assert.equal(tlc.architecture.maxLength, 128);
    assert.equal(tlc.architecture.dModel, 64);
    assert.deepEqual(tlc.variants[0]!.files, ['onnx/model.onnx']);
  });

  it('detects a causal LM from config.json and, without one, from its causal mask', () => {
    const withConfig = readForeignModel(writeForeignFolder(fresh(), TORCH_GPT, { config: GPT_CONFIG }));
    assert.equal(withConfig.tlc.task, 'text-generation');
    assert.match(withConfig.detected.evidence, /GPT2LMHeadModel/);
    assert.equal(withConfig.tlc.parameters.total, TORCH_GPT_PARAMETERS);
    const bare = readForeignModel(writeForeignFolder(fresh(), TORCH_GPT));
    assert.equal(bare.tlc.task, 'text-generation');
    assert.match(bare.detected.evidence, /causal/);
  });

  it('detects a sequence classifier from config.json and, without one, from logits of rank 2; never as fill-mask', () => {
    // The BERT fixture with a classification head on the first position: logits [batch, 2], not a vocabulary.
    const bert = loadModel(TORCH_BERT);
    const g = bert.graph;
    const classifier: Model = {
      ...bert,
      graph: {
        ...g,
        nodes: [
          ...g.nodes.map((n) => ({
            ...n,
            outputs: n.outputs.map((o) => (o === 'logits' ? 'token_logits' : o)),
          })),
          node('Gather', ['token_logits', 'first'], ['first_logits'], { axis: { type: 'INT', value: 1n } }),
          node('MatMul', ['first_logits', 'classifier.weight'], ['logits']),
        ],
        initializers: new Map([
          ...g.initializers,
          ['first', { name: 'first', dataType: DataType.INT64, dims: [], data: BigInt64Array.of(0n) }],
          [
            'classifier.weight',
            {
              name: 'classifier.weight',
              dataType: DataType.FLOAT,
              dims: [1000, 2],
              data: new Float32Array(2000),
            },
          ],
        ]),
        outputs: [
          { name: 'logits', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['batch', 2] } },
        ],
      },
    };
    const file = join(fresh(), 'classifier.onnx');
    saveModel(classifier, file);
    const bare = readForeignModel(writeForeignFolder(fresh(), file));
    assert.equal(bare.tlc.task, 'text-classification');
    assert.match(bare.detected.evidence, /logits of rank 2/);
    const config = { ...BERT_CONFIG, architectures: ['BertForSequenceClassification'] };
    const declared = readForeignModel(writeForeignFolder(fresh(), TORCH_BERT, { config }));
    assert.equal(declared.tlc.task, 'text-classification');
    assert.match(declared.detected.evidence, /BertForSequenceClassification/);
  });

  it('config.json architectures win over the graph (a BERT graph declared as a causal LM)', () => {
    const m = readForeignModel(writeForeignFolder(fresh(), TORCH_BERT, { config: { ...GPT_CONFIG } }));
    assert.equal(m.tlc.task, 'text-generation');
  });

  it('modelFolderCheck tells model folders from others', () => {
    assert.equal(modelFolderCheck(writeForeignFolder(fresh(), TORCH_BERT)).ok, true);
    assert.equal(modelFolderCheck(fresh()).ok, false);
  });
});

function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, Attribute> = {},
): Node {
  return { name: outputs[0]!, opType, domain: '', inputs, outputs, attributes };
}
