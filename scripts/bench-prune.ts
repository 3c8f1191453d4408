/**
 * Measurements for the pruning passes on a 25M-parameter TLC encoder (preset 'large': 8 × 512, 8 heads, FFN
 * 2048, vocabulary 8000; MLM head 'logits', no dropout), in one process, 2 threads, batch 8 × 128:
 *   1. structured pruning (heads 25% + FFN 50%) against the dense model: run time;
 *   2. magnitude pruning + sparse encoding at several sparsities: file size, load time, run time, and the
 *      run time with graph optimisations off (the decoder then runs per call: what folding saves).
 * Not a test: `node --import tsx scripts/bench-prune.ts [rounds]`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSparseWeights, magnitudePrune, structuredPrune } from '../src/compress/prune/index.js';
import { buildMlmEncoder } from '../src/models/encoder.js';
import { presetConfig } from '../src/models/presets.js';
import { encodeModel, type Model, numel, saveModel } from '../src/onnx/index.js';
import { createSession, type OrtFeeds, type OrtSession, ortTensor, runSession } from '../src/ort/session.js';
import { Rng } from '../src/util/rng.js';

const ROUNDS = Number(process.argv[2] ?? 7);
const THREADS = 2;
const [BATCH, LENGTH] = [8, 128];

function parameters(model: Model): number {
  let n = 0;
  for (const t of model.graph.initializers.values()) if (t.dataType === 1) n += numel(t.dims);
  return n;
}

function feeds(vocab: number): OrtFeeds {
  const rng = Rng.seeded(7);
  const ids = BigInt64Array.from({ length: BATCH * LENGTH }, () => BigInt(rng.int(vocab)));
  const mask = new BigInt64Array(BATCH * LENGTH).fill(1n);
  return {
    input_ids: ortTensor('int64', ids, [BATCH, LENGTH]),
    attention_mask: ortTensor('int64', mask, [BATCH, LENGTH]),
  };
}

/** Median ms per run of each session, interleaved rounds of 3 runs. */
async function time(sessions: readonly OrtSession[], input: OrtFeeds): Promise<number[]> {
  for (const s of sessions) for (let i = 0; i < 2; i++) await runSession(s, input);
  const samples = sessions.map((): number[] => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, s] of sessions.entries()) {
      const t = performance.now();
      for (let i = 0; i < 3; i++) await runSession(s, input);
      samples[k]!.push((performance.now() - t) / 3);
    }
  }
  return samples.map((v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!);
}

/** Best of three session creations by path (load, optimise, fold, pre-pack), in ms. */
async function loadTime(path: string): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const s = await createSession(path, { threads: THREADS });
    best = Math.min(best, performance.now() - t);
    await s.release();
  }
  return best;
}

async function main(): Promise<void> {
  const config = presetConfig('large', { vocabSize: 8000, dropout: 0, attentionDropout: 0 });
  const dense = buildMlmEncoder(config, { rng: Rng.seeded(1), head: 'logits', dropout: false }).model;
  const input = feeds(config.vocabSize);
  console.log(
    `model: ${config.layers} × ${config.dModel}, ${config.heads} heads, FFN ${config.ffn}, ${(parameters(dense) / 1e6).toFixed(1)}M parameters`,
  );
  console.log(`batch ${BATCH} × ${LENGTH}, ${THREADS} threads, ${ROUNDS} rounds\n`);

  // 1. Structured pruning.
  const variants: [string, Model][] = [['dense', dense]];
  for (const [label, options] of [
    ['heads 25%', { heads: 0.25 }],
    ['FFN 50%', { ffn: 0.5 }],
    ['heads 25% + FFN 50%', { heads: 0.25, ffn: 0.5 }],
  ] as const) {
    const t = performance.now();
    const { graph } = structuredPrune(dense.graph, options);
    const pass = performance.now() - t;
    variants.push([`${label} (pass ${pass.toFixed(0)} ms)`, { ...dense, graph }]);
  }
  const sessions = await Promise.all(
    variants.map(([, m]) => createSession(encodeModel(m), { threads: THREADS })),
  );
  const times = await time(sessions, input);
  console.log('structured pruning, fp32           params    ms/run   speed-up');
  variants.forEach(([label, m], i) => {
    console.log(
      `  ${label.padEnd(34)}${(parameters(m) / 1e6).toFixed(1).padStart(6)}M ${times[i]!.toFixed(1).padStart(8)} ${(times[0]! / times[i]!).toFixed(2).padStart(9)}×`,
    );
  });
  for (const s of sessions) await s.release();

  // 2. Magnitude pruning + sparse encoding.
  const dir = mkdtempSync(join(tmpdir(), 'tlc-bench-prune-'));
  try {
    const densePath = join(dir, 'dense.onnx');
    saveModel(dense, densePath);
    const denseBytes = statSync(densePath).size;
    console.log(
      `\nsparse encoding (global magnitude pruning of the 2-D projection weights; embeddings dense)`,
    );
    console.log(
      '  sparsity   file MB  of dense  pruned tensors: encoded/dense   load ms   ms/run   ms/run unfolded',
    );
    const denseLoad = await loadTime(densePath);
    const denseSession = await createSession(densePath, { threads: THREADS });
    const [denseRun] = await time([denseSession], input);
    await denseSession.release();
    console.log(
      `  dense     ${(denseBytes / 1e6).toFixed(1).padStart(7)}     100%                           ${denseLoad.toFixed(0).padStart(7)} ${denseRun!.toFixed(1).padStart(8)}`,
    );
    for (const sparsity of [0.5, 0.7, 0.9]) {
      const pruned = magnitudePrune(dense.graph, { sparsity });
      const encoded = encodeSparseWeights(pruned.graph, { opset: dense.opsetImports.get('')! });
      const path = join(dir, `sparse${sparsity}.onnx`);
      saveModel({ ...dense, graph: encoded.graph }, path);
      const bytes = statSync(path).size;
      const load = await loadTime(path);
      const session = await createSession(path, { threads: THREADS });
      // Graph optimisations off: the decoder runs on every call (once is enough to show what folding saves).
      const unfolded =
        sparsity === 0.5
          ? await createSession(path, { threads: THREADS, optimizationLevel: 'disabled' })
          : undefined;
      const [run, runUnfolded] = await time(unfolded ? [session, unfolded] : [session], input);
      await session.release();
      await unfolded?.release();
      const r = encoded.report;
      console.log(
        `  ${sparsity.toFixed(2).padEnd(8)}${(bytes / 1e6).toFixed(1).padStart(8)} ${((100 * bytes) / denseBytes).toFixed(1).padStart(8)}%` +
          `   ${r.tensors.length} tensors: ${((100 * r.encodedBytes) / r.denseBytes).toFixed(1).padStart(5)}%` +
          `          ${load.toFixed(0).padStart(7)} ${run!.toFixed(1).padStart(8)} ${runUnfolded === undefined ? '' : runUnfolded.toFixed(1).padStart(10)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
