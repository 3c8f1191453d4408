/**
 * `node --import tsx scripts/bench-quantize.ts`: inference latency of a 4-layer, 256-wide TLC MLM encoder
 * (8000-token vocabulary, logits for every position) at batch 8 × 128, as float32, dynamic int8
 * (DynamicQuantizeMatMul, int8 embeddings) and 4-bit weight-only (MatMulNBits, block 32, accuracy_level 0
 * and 4), all in this one process on 2 intra-op threads.
 *
 * How the figures are taken: every variant gets its own session, WARMUP runs, then ROUNDS rounds in which
 * each variant runs RUNS times in turn (interleaving spreads the noise of a shared VM over all variants).
 * The table shows the median and the minimum of all timed runs, the file size, and how close the logits are
 * to float32 (mean per-position cosine, top-1 agreement) on the benchmark batch.
 */
import { availableParallelism, cpus } from 'node:os';
import {
  dynamicInt8,
  quantizeModel,
  type WeightOnlyNBitsOptions,
  weightOnlyNBits,
} from '../src/compress/quantize/index.js';
import { makeConfig } from '../src/models/config.js';
import { buildMlmEncoder } from '../src/models/encoder.js';
import { encodeModel, type Model } from '../src/onnx/index.js';
import { createSession, type OrtFeeds, type OrtSession, ortTensor, runSession } from '../src/ort/session.js';
import { Rng } from '../src/util/rng.js';

const THREADS = 2;
const BATCH = 8;
const LENGTH = 128;
const VOCAB = 8000;
const WARMUP = 3;
const ROUNDS = 5;
const RUNS = 6;

interface Variant {
  readonly name: string;
  readonly model: Model;
  session?: OrtSession;
  readonly times: number[];
  bytes?: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function agreement(reference: Float32Array, candidate: Float32Array): { cosine: number; top1: number } {
  const positions = reference.length / VOCAB;
  let cosine = 0;
  let top1 = 0;
  for (let p = 0; p < positions; p++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    let a = 0;
    let b = 0;
    for (let v = 0; v < VOCAB; v++) {
      const x = reference[p * VOCAB + v]!;
      const y = candidate[p * VOCAB + v]!;
      dot += x * y;
      na += x * x;
      nb += y * y;
      if (x > reference[p * VOCAB + a]!) a = v;
      if (y > candidate[p * VOCAB + b]!) b = v;
    }
    cosine += dot / Math.sqrt(na * nb);
    if (a === b) top1++;
  }
  return { cosine: cosine / positions, top1: top1 / positions };
}

async function main(): Promise<void> {
  const config = makeConfig({
    vocabSize: VOCAB,
    dModel: 256,
    layers: 4,
    heads: 4,
    ffn: 1024,
    maxLength: LENGTH,
  });
  const { model } = buildMlmEncoder(config, { rng: Rng.seeded(1), head: 'logits', dropout: false });
  const nbits = (accuracyLevel: 0 | 4): Model => {
    const options: WeightOnlyNBitsOptions = { bits: 4, blockSize: 32, accuracyLevel };
    return quantizeModel(model, weightOnlyNBits, options).model;
  };
  const variants: Variant[] = [
    { name: 'fp32', model, times: [] },
    { name: 'int8 (DynamicQuantizeMatMul)', model: quantizeModel(model, dynamicInt8, {}).model, times: [] },
    { name: 'q4 acc 0 (MatMulNBits)', model: nbits(0), times: [] },
    { name: 'q4 acc 4 (MatMulNBits)', model: nbits(4), times: [] },
  ];
  const rng = Rng.seeded(2);
  const n = BATCH * LENGTH;
  const feeds: OrtFeeds = {
    input_ids: ortTensor(
      'int64',
      BigInt64Array.from({ length: n }, () => BigInt(rng.int(VOCAB))),
      [BATCH, LENGTH],
    ),
    attention_mask: ortTensor(
      'int64',
      BigInt64Array.from({ length: n }, () => 1n),
      [BATCH, LENGTH],
    ),
  };
  for (const v of variants) {
    const bytes = encodeModel(v.model);
    v.bytes = bytes.byteLength;
    v.session = await createSession(bytes, { threads: THREADS, source: v.name });
    for (let i = 0; i < WARMUP; i++) await runSession(v.session, feeds);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        await runSession(v.session!, feeds);
        v.times.push(performance.now() - t);
      }
    }
  }
  const logits = async (v: Variant) => (await runSession(v.session!, feeds)).logits!.data as Float32Array;
  const reference = await logits(variants[0]!);
  const base = median(variants[0]!.times);
  console.log(
    `TLC MLM encoder 4 × 256, vocab ${VOCAB}, batch ${BATCH} × ${LENGTH}; onnxruntime-node CPU, ${THREADS} threads; ` +
      `${cpus()[0]?.model ?? 'unknown CPU'} (${availableParallelism()} cores)`,
  );
  console.log(`${ROUNDS} interleaved rounds × ${RUNS} runs per variant after ${WARMUP} warm-up runs\n`);
  console.log('| variant | median ms | min ms | speed-up | file MB | cosine vs fp32 | top-1 vs fp32 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const v of variants) {
    const m = median(v.times);
    const a = agreement(reference, await logits(v));
    console.log(
      `| ${v.name} | ${m.toFixed(1)} | ${Math.min(...v.times).toFixed(1)} | ${(base / m).toFixed(2)}× | ` +
        `${(v.bytes! / 1e6).toFixed(2)} | ${a.cosine.toFixed(5)} | ${a.top1.toFixed(3)} |`,
    );
  }
  for (const v of variants) await v.session!.release();
}

await main();
