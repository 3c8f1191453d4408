/**
 * bench:compress — latency of compressed variants of a ~25M-parameter TLC encoder (preset large: 8 × 512) at
 * batch 8 × 128 on 2 threads, all measured in one process with interleaved rounds, plus the time and peak
 * memory of compressing a ~100M-parameter model (int8). Goals: int8 ≥ 2.5× fp32, structured + int8 ≥ 3.5×,
 * compression of 100M parameters under 60 s.
 *
 * Each variant runs in two forms: as served (`tlc serve`'s fill-mask graph: one mask per sequence, top-5 in
 * the graph, the MLM head on the masked rows only), on which the goals are checked, and as written (logits
 * for every position copied out: 8.2M floats, a fixed ~20 ms that no compression removes).
 * Flags: --threads N (2), --rounds N (5), --skip-large.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyRecipe } from '../src/compress/apply-recipe.js';
import { parseRecipe } from '../src/compress/recipe.js';
import { sampleFeeds } from '../src/compress/validate/sample-inputs.js';
import { buildMlmEncoder } from '../src/models/encoder.js';
import { presetConfig } from '../src/models/presets.js';
import { loadModel, saveModel } from '../src/onnx/io.js';
import type { Model } from '../src/onnx/ir.js';
import { createSession, type OrtFeeds, type OrtSession, ortTensor, runSession } from '../src/ort/session.js';
import { NO_SPINNING } from '../src/ort/timing.js';
import { fillMaskServingGraph } from '../src/tasks/fill-mask/fill-mask-graph.js';
import { percentile } from '../src/util/percentile.js';
import { Rng } from '../src/util/rng.js';

const { values: flags } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    'skip-large': { type: 'boolean', default: false },
  },
});
const threads = Number(flags.threads);
const rounds = Number(flags.rounds);
/** Ten sessions share two cores here, timed in interleaved rounds: spinning is off for all alike. */
const NO_SPIN = NO_SPINNING;
const dir = mkdtempSync(join(tmpdir(), 'tlc-bench-compress-'));

/** A trained-looking encoder: random weights (std 0.02), as the latency does not depend on the values. */
function encoder(preset: string): Model {
  return buildMlmEncoder(
    presetConfig(preset, { vocabSize: 8000, maxLength: 128, dropout: 0, attentionDropout: 0 }),
    {
      rng: Rng.seeded(1),
      head: 'logits',
      dropout: false,
    },
  ).model;
}

async function main(): Promise<void> {
  const base = encoder('large');
  const recipes = ['int8', 'q4', 'prune:0.5', 'heads:0.25+ffn:0.5+int8'];
  const files: [string, string][] = [['fp32', join(dir, 'model.onnx')]];
  saveModel(base, files[0]![1]);
  for (const r of recipes) {
    const recipe = parseRecipe(r);
    const t0 = performance.now();
    const { model } = applyRecipe(base, recipe);
    const path = join(dir, `model_${recipe.suffix}.onnx`);
    saveModel(model, path);
    console.log(`  compressed ${r.padEnd(24)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    files.push([r, path]);
  }
  const served: [string, OrtSession][] = [];
  const written: [string, OrtSession][] = [];
  const sizes: number[] = [];
  for (const [name, path] of files) {
    sizes.push(statSync(path).size);
    written.push([name, await createSession(path, { threads, extra: NO_SPIN })]);
    const servingPath = path.replace(/\.onnx$/, '_served.onnx');
    saveModel(fillMaskServingGraph(loadModel(path)), servingPath);
    served.push([name, await createSession(servingPath, { threads, extra: NO_SPIN })]);
  }
  const feeds = sampleFeeds(written[0]![1], { batch: 8, sequence: 128, vocabSize: 8000, firstId: 5 });
  // One mask per sequence at varying positions, top-5: a batch of eight fill-mask requests.
  const maskRows = BigInt64Array.from({ length: 8 }, (_, b) => BigInt(b * 128 + 17 + 13 * b));
  const servedFeeds: OrtFeeds = {
    ...feeds,
    mask_rows: ortTensor('int64', maskRows, [8]),
    top_k: ortTensor('int64', BigInt64Array.of(5n), [1]),
  };
  const servedMs = await medianLatencies(
    served.map(([, s]) => s),
    servedFeeds,
  );
  const writtenMs = await medianLatencies(
    written.map(([, s]) => s),
    feeds,
  );
  console.log(
    `\nbench:compress — preset large (8 × 512, 25.5M non-embedding), batch 8 × 128, ${threads} threads, ${rounds} interleaved rounds`,
  );
  console.log(
    `  ${'variant'.padEnd(26)}${'served ms'.padStart(10)}${'speed-up'.padStart(10)}${'logits ms'.padStart(11)}${'speed-up'.padStart(10)}${'file MB'.padStart(10)}`,
  );
  for (const [k, [name]] of written.entries()) {
    const up = (ms: number[]) => `${(ms[0]! / ms[k]!).toFixed(2)}×`;
    console.log(
      `  ${name.padEnd(26)}${servedMs[k]!.toFixed(1).padStart(10)}${up(servedMs).padStart(10)}${writtenMs[k]!.toFixed(1).padStart(11)}${up(writtenMs).padStart(10)}${(sizes[k]! / 2 ** 20).toFixed(1).padStart(10)}`,
    );
  }
  console.log(
    '  served: fill-mask graph as `tlc serve` runs it (top-5 at one mask per sequence); logits: all 8 × 128 × 8000 logits copied out',
  );
  const int8 = servedMs[0]! / servedMs[1]!;
  const structured = servedMs[0]! / servedMs[4]!;
  console.log(
    `  goals (served): int8 ≥ 2.5× → ${int8 >= 2.5 ? 'MET' : 'NOT MET'} (${int8.toFixed(2)}×); structured + int8 ≥ 3.5× → ${structured >= 3.5 ? 'MET' : 'NOT MET'} (${structured.toFixed(2)}×)`,
  );
  for (const [, s] of [...served, ...written]) await s.release();

  if (!flags['skip-large']) {
    // 100M parameters: preset xlarge (12 × 640) with a 40000-token vocabulary.
    const big = buildMlmEncoder(
      presetConfig('xlarge', { vocabSize: 40000, maxLength: 128, dropout: 0, attentionDropout: 0 }),
      {
        rng: Rng.seeded(2),
        head: 'logits',
        dropout: false,
      },
    ).model;
    const path = join(dir, 'big.onnx');
    saveModel(big, path);
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const loaded = loadModel(path);
    const { model } = applyRecipe(loaded, parseRecipe('int8'));
    saveModel(model, join(dir, 'big_int8.onnx'));
    const seconds = (performance.now() - t0) / 1000;
    const peak = process.resourceUsage().maxRSS * 1024;
    console.log(
      `\n  100M model (${(statSync(path).size / 2 ** 20).toFixed(0)} MB): load + int8 + save in ${seconds.toFixed(1)} s (goal < 60 s → ${seconds < 60 ? 'MET' : 'NOT MET'}), ` +
        `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (${(before / 2 ** 20).toFixed(0)} MiB before)`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Median latency per session over interleaved rounds (two runs each per round), after two warm-up runs. */
async function medianLatencies(sessions: readonly OrtSession[], feeds: OrtFeeds): Promise<number[]> {
  for (const s of sessions) for (let i = 0; i < 2; i++) await runSession(s, feeds);
  const samples = sessions.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [k, s] of sessions.entries()) {
      for (let i = 0; i < 2; i++) {
        const t0 = performance.now();
        await runSession(s, feeds);
        samples[k]!.push(performance.now() - t0);
      }
    }
  }
  return samples.map((x) =>
    percentile(
      [...x].sort((a, b) => a - b),
      50,
    ),
  );
}

await main();
