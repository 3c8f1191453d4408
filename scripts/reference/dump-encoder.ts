/**
 * Writes what the PyTorch reference (torch_encoder.py) needs to recompute one MLM training step of a TLC
 * encoder: the settings, TLC's initial weights, one batch, and TLC's loss and every parameter gradient as
 * computed by ONNX Runtime on TLC's training graph (dropout off, float32).
 *   node --import tsx scripts/reference/dump-encoder.ts --out DIR [--run RUN] [--positions alibi] [--pre-ln]
 * With --run, the encoder and the batch (step 1) come from that run's settings, tokenizer and data; without it,
 * a small encoder and a random batch with padding and masked positions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeConfig, type PositionScheme, type TransformerConfig } from '../../src/models/config.js';
import { buildMlmEncoder, IGNORE_INDEX } from '../../src/models/encoder.js';
import { encodeModel } from '../../src/onnx/io.js';
import type { Tensor } from '../../src/onnx/ir.js';
import { float32Tensor, int64Tensor } from '../../src/onnx/tensor.js';
import { createSession, type OrtFeeds, ortTensor, runSession } from '../../src/ort/session.js';
import { modelConfig, readRunConfig } from '../../src/run-folder/run-config.js';
import { MlmBatcher, makeBlocks } from '../../src/tasks/fill-mask/batches.js';
import { encodeDocuments, mlmDocuments } from '../../src/tasks/fill-mask/data.js';
import { specialIdsOf } from '../../src/tokenizer/special-ids.js';
import { runTokenizer } from '../../src/train/run/data.js';
import { writeSafetensors } from '../../src/train/safetensors.js';
import { buildTrainable } from '../../src/train/trainable.js';
import { Rng } from '../../src/util/rng.js';

const { values: flags } = parseArgs({
  options: {
    out: { type: 'string' },
    run: { type: 'string' },
    positions: { type: 'string', default: 'alibi' },
    'pre-ln': { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
  },
});
if (flags.out === undefined) {
  process.stderr.write(
    'usage: dump-encoder.ts --out DIR [--run RUN] [--positions learned|alibi] [--pre-ln]\n',
  );
  process.exit(2);
}
const out = flags.out;
mkdirSync(out, { recursive: true });
const seed = Number(flags.seed);

/** int64 data as a bigint array, whatever ORT tensor type it came in. */
function int64Of(feeds: OrtFeeds, name: string): { data: BigInt64Array; dims: number[] } {
  const t = feeds[name]!;
  return { data: t.data as BigInt64Array, dims: [...t.dims] };
}

async function runBatch(): Promise<{ config: TransformerConfig; feeds: OrtFeeds }> {
  if (flags.run !== undefined) {
    const run = readRunConfig(flags.run);
    const tokenizer = await runTokenizer({ ...run, out: flags.run }, () => {});
    const special = specialIdsOf(tokenizer);
    const config = { ...modelConfig(run, tokenizer.tokens.length), dropout: 0, attentionDropout: 0 };
    const length = run.model.maxLength;
    const blocks = makeBlocks(encodeDocuments(tokenizer, await mlmDocuments(run, 'train')), length, special, {
      shortProbability: 0.1,
      seed: run.seed,
    });
    const batcher = new MlmBatcher(blocks, {
      sequenceLength: length,
      batchSize: Math.max(1, Math.floor(run.batchTokens / length)),
      special,
      seed: run.seed,
    });
    return { config, feeds: { ...batcher.batch(1).inputs } };
  }
  const config = makeConfig({
    vocabSize: 1000,
    dModel: 64,
    layers: 2,
    heads: 4,
    ffn: 256,
    maxLength: 64,
    dropout: 0,
    attentionDropout: 0,
    positions: flags.positions as PositionScheme,
    preLayerNorm: flags['pre-ln'],
  });
  // 4 sequences of 48 tokens, the last two padded; every 7th real token masked.
  const rng = Rng.seeded(seed, 7);
  const [b, t] = [4, 48];
  const ids: number[] = [];
  const mask: number[] = [];
  const positions: number[] = [];
  const labels: number[] = [];
  for (let s = 0; s < b; s++) {
    const real = s < 2 ? t : t - 9 * s;
    for (let i = 0; i < t; i++) {
      const token = 5 + rng.int(config.vocabSize - 5);
      ids.push(i < real ? token : 1);
      mask.push(i < real ? 1 : 0);
      if (i < real && i % 7 === 3) {
        positions.push(s * t + i);
        labels.push(i % 14 === 3 ? token : IGNORE_INDEX);
      }
    }
  }
  const i64 = (v: number[], dims: number[]) => ortTensor('int64', BigInt64Array.from(v, BigInt), dims);
  return {
    config,
    feeds: {
      input_ids: i64(ids, [b, t]),
      attention_mask: i64(mask, [b, t]),
      mlm_positions: i64(positions, [positions.length]),
      mlm_labels: i64(labels, [labels.length]),
    },
  };
}

const { config, feeds } = await runBatch();
const built = buildMlmEncoder(config, { rng: Rng.seeded(seed), head: 'loss', dropout: false });
const params = built.params.map((p) => p.name);
const trainable = await buildTrainable(built.model, params, built.loss!);
const session = await createSession(encodeModel(trainable.model), { threads: 2 });
const all: OrtFeeds = { ...feeds };
for (const [name, t] of trainable.initial) all[name] = ortTensor('float32', t.data as Float32Array, t.dims);
const result = await runSession(session, all);
await session.release();

const batch: Tensor[] = ['input_ids', 'attention_mask', 'mlm_positions', 'mlm_labels'].map((name) => {
  const { data, dims } = int64Of(feeds, name);
  return int64Tensor(name, dims, data);
});
const gradients: Tensor[] = [
  float32Tensor('loss', [], [Number(result[built.loss!]!.data[0])]),
  ...params.map((p) => {
    const g = result[trainable.gradients.get(p)!]!;
    return float32Tensor(p, [...g.dims], g.data as Float32Array);
  }),
];
writeSafetensors(join(out, 'weights.safetensors'), trainable.initial.values());
writeSafetensors(join(out, 'batch.safetensors'), batch);
writeSafetensors(join(out, 'tlc.safetensors'), gradients);
writeFileSync(
  join(out, 'settings.json'),
  `${JSON.stringify(
    {
      vocabSize: config.vocabSize,
      dModel: config.dModel,
      layers: config.layers,
      heads: config.heads,
      ffn: config.ffn,
      maxLength: config.maxLength,
      preLayerNorm: config.preLayerNorm,
      positions: config.positions,
      activation: config.activation,
      layerNormEpsilon: config.layerNormEpsilon,
      ignoreIndex: IGNORE_INDEX,
      parameters: params,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(
  `TLC: ${config.layers} × ${config.dModel}, ${config.positions} positions, ${config.preLayerNorm ? 'pre' : 'post'}-LN; loss ${Number(result[built.loss!]!.data[0]).toFixed(6)}; ${params.length} gradients → ${out}\n`,
);
