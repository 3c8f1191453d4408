/**
 * `npm run bench:int8 [-- --json] [-- --no-speed]`: the int8 weight codings (int8-coding.ts) and the n-bit
 * weight-only variants against float32, on the CPU this runs on.
 *
 * Accuracy: the two PyTorch fixtures (test/fixtures/torch), 4 seeds × 4 × 16 random tokens; logit cosine,
 * top-1 agreement and top-5 (the fp32 argmax in the candidate's top 5) against fp32, and the file size ratio.
 * Speed: the BERT fixture and a 4-layer, 256-wide TLC MLM encoder (vocab 8000), both at batch 8 × 128, every
 * variant timed interleaved in this one process (ort/timing.ts) at 1 and 2 intra-op threads; the speed-up is
 * the median of per-round fp32/variant ratios, with its quartiles.
 *
 * Which int8 kernel ONNX Runtime runs depends on the CPU: without VNNI (AVX2, AVX-512BW alone), u8 × s8 byte
 * pairs are added in int16 with saturation, and 'full' codes degrade. /proc/cpuinfo is not enough to tell (under
 * qemu-user it shows the host's flags), so the script also runs a one-node probe that shows whether ORT's
 * integer GEMM saturates here. Emulate an AVX2-only CPU for the accuracy part with
 * `qemu-x86_64 -cpu Haswell-v4 $(which node) --import tsx scripts/bench-int8.ts --no-speed`.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  dynamicInt8,
  quantizeModel,
  type WeightOnlyNBitsOptions,
  weightOnlyNBits,
} from '../src/compress/quantize/index.js';
import type { Int8WeightCoding } from '../src/compress/quantize/int8-coding.js';
import { makeConfig } from '../src/models/config.js';
import { buildMlmEncoder } from '../src/models/encoder.js';
import { encodeModel, type Model } from '../src/onnx/index.js';
import type { PassChange } from '../src/onnx/passes/pass.js';
import { int8PairsSaturate } from '../src/ort/int8-kernel.js';
import { createSession, type OrtFeeds, ortVersion, runSession } from '../src/ort/session.js';
import { NO_SPINNING, timeInterleaved } from '../src/ort/timing.js';
import { Rng } from '../src/util/rng.js';
import {
  floatData,
  type LogitAgreement,
  loadFixture,
  logitAgreement,
  mergeAgreement,
  tokenFeeds,
} from '../test/compress/quantize/helpers.js';

const FIXTURE_VOCAB = 1000;
const SEEDS = [1, 2, 3, 4];
const ACCURACY_BATCH = [4, 16] as const;
const SPEED_BATCH = [8, 128] as const;
const THREADS = [1, 2];
/**
 * Interleaved rounds per model and thread count: at least 5, then until the seconds pass or the round cap
 * (a round of the fixture takes ~50 ms, one of the encoder ~0.5 s; ~90 s in all on 2 EPYC cores).
 */
const ROUNDS = {
  fixture: { seconds: 6, maxRounds: 300 },
  encoder: { seconds: 30, maxRounds: 80 },
} as const;
const SYNTHETIC = { vocabSize: 8000, dModel: 256, layers: 4, heads: 4, maxLength: 128 } as const;

interface Variant {
  readonly name: string;
  readonly quantize: (model: Model) => { readonly model: Model; readonly changes: readonly PassChange[] };
}

const int8 = (weights: Int8WeightCoding): Variant => ({
  name: `int8 ${weights}`,
  quantize: (m) => quantizeModel(m, dynamicInt8, { weights }),
});

const nbits = (bits: 4 | 8, blockSize: number, accuracyLevel: 0 | 4): Variant => {
  const options: WeightOnlyNBitsOptions = { bits, blockSize, accuracyLevel };
  return {
    name: `q${bits} block ${blockSize} acc ${accuracyLevel}`,
    quantize: (m) => quantizeModel(m, weightOnlyNBits, options),
  };
};

const VARIANTS: readonly Variant[] = [
  int8('full'),
  int8('pair-bounded'),
  int8('7-bit'),
  nbits(4, 32, 0),
  nbits(4, 32, 4),
  nbits(4, 128, 0),
  nbits(4, 128, 4),
  nbits(8, 32, 4),
];

interface CpuReport {
  readonly model: string;
  readonly flags: Readonly<Record<string, boolean>>;
  /** Measured: whether ORT's u8 × s8 GEMM adds a byte pair in int16 with saturation here (no VNNI/AMX). */
  readonly int8PairsSaturate: boolean;
}

interface AccuracyRow {
  readonly fixture: string;
  readonly variant: string;
  /** Applied rewrites (quantized nodes). */
  readonly quantized: number;
  readonly cosine: number;
  readonly top1: number;
  readonly top5: number;
  readonly sizeRatio: number;
}

interface SpeedRow {
  readonly model: string;
  readonly threads: number;
  readonly variant: string;
  readonly medianMs: number;
  readonly speedup: number;
  readonly speedupQ25: number;
  readonly speedupQ75: number;
  readonly runs: number;
}

const FLAGS = ['avx2', 'avx512bw', 'avx512_vnni', 'avx_vnni', 'amx_int8'];

async function cpuReport(): Promise<CpuReport> {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: the model name from Node, no flags; the probe still says what the kernel does.
  }
  const present = new Set((/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/));
  const name = /^model name\s*:\s*(.*)$/m.exec(text)?.[1] ?? cpus()[0]?.model ?? 'unknown CPU';
  return {
    model: name.trim(),
    flags: Object.fromEntries(FLAGS.map((f) => [f, present.has(f)])),
    int8PairsSaturate: await int8PairsSaturate(),
  };
}

/** Logits of one model over several feeds, one session. */
async function logitsOf(model: Model, feeds: readonly OrtFeeds[]): Promise<Float32Array[]> {
  const session = await createSession(encodeModel(model));
  try {
    const out: Float32Array[] = [];
    for (const f of feeds) out.push(floatData(await runSession(session, f), 'logits'));
    return out;
  } finally {
    await session.release();
  }
}

async function accuracy(): Promise<AccuracyRow[]> {
  const rows: AccuracyRow[] = [];
  const feeds = SEEDS.map((s) => tokenFeeds(Rng.seeded(s), ...ACCURACY_BATCH, FIXTURE_VOCAB));
  for (const fixture of ['bert', 'gpt'] as const) {
    const model = loadFixture(fixture);
    const bytes = encodeModel(model).byteLength;
    const reference = await logitsOf(model, feeds);
    for (const v of VARIANTS) {
      process.stderr.write(`accuracy: ${fixture} ${v.name}\n`);
      const q = v.quantize(model);
      const logits = await logitsOf(q.model, feeds);
      const parts: LogitAgreement[] = logits.map((l, i) => logitAgreement(reference[i]!, l, FIXTURE_VOCAB));
      const a = mergeAgreement(parts);
      rows.push({
        fixture,
        variant: v.name,
        quantized: q.changes.filter((c) => c.kind === 'applied').length,
        cosine: a.cosine,
        top1: a.top1,
        top5: a.top5,
        sizeRatio: encodeModel(q.model).byteLength / bytes,
      });
    }
  }
  return rows;
}

function speedFeeds(vocab: number): OrtFeeds {
  return tokenFeeds(Rng.seeded(100), ...SPEED_BATCH, vocab);
}

/** Times fp32 and every variant of one model, interleaved, at each thread count. */
async function speedOf(
  label: string,
  model: Model,
  vocab: number,
  rounds: { readonly seconds: number; readonly maxRounds: number },
): Promise<SpeedRow[]> {
  const models = [{ name: 'fp32', bytes: encodeModel(model) }];
  for (const v of VARIANTS) models.push({ name: v.name, bytes: encodeModel(v.quantize(model).model) });
  const feeds = speedFeeds(vocab);
  const rows: SpeedRow[] = [];
  for (const threads of THREADS) {
    process.stderr.write(`speed: ${label}, ${threads} thread(s)\n`);
    const sessions = await Promise.all(
      models.map((m) => createSession(m.bytes, { threads, extra: NO_SPINNING, source: m.name })),
    );
    try {
      const contestants = models.map((m, i) => ({
        name: m.name,
        run: async () => {
          await runSession(sessions[i]!, feeds);
        },
      }));
      const results = await timeInterleaved(contestants, { warmup: 2, minRounds: 5, ...rounds });
      for (const r of results) {
        rows.push({
          model: label,
          threads,
          variant: r.name,
          medianMs: r.latency.p50,
          speedup: r.speedup.median,
          speedupQ25: r.speedup.q25,
          speedupQ75: r.speedup.q75,
          runs: r.latency.runs,
        });
      }
    } finally {
      for (const s of sessions) await s.release();
    }
  }
  return rows;
}

async function speed(): Promise<SpeedRow[]> {
  const fixture = await speedOf('BERT fixture', loadFixture('bert'), FIXTURE_VOCAB, ROUNDS.fixture);
  const config = makeConfig(SYNTHETIC);
  const { model } = buildMlmEncoder(config, { rng: Rng.seeded(1), head: 'logits', dropout: false });
  const encoder = await speedOf(
    `TLC encoder ${SYNTHETIC.layers}×${SYNTHETIC.dModel}, vocab ${SYNTHETIC.vocabSize}`,
    model,
    SYNTHETIC.vocabSize,
    ROUNDS.encoder,
  );
  return [...fixture, ...encoder];
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function markdown(cpu: CpuReport, acc: readonly AccuracyRow[], spd: readonly SpeedRow[] | undefined): string {
  const flags = FLAGS.map((f) => `${f} ${cpu.flags[f] ? 'yes' : 'no'}`).join(', ');
  const probe = cpu.int8PairsSaturate
    ? 'saturates (u8·s8 pairs added in int16: VPMADDUBSW, no VNNI/AMX)'
    : 'exact (u8·s8 pairs added in int32: VNNI, AMX or ARM dot)';
  const vnni = cpu.flags.avx512_vnni === true || cpu.flags.avx_vnni === true || cpu.flags.amx_int8 === true;
  const parts = [
    `CPU: ${cpu.model}; /proc/cpuinfo flags: ${flags}`,
    `ORT ${ortVersion()} int8 GEMM probe: ${probe}`,
    ...(vnni && cpu.int8PairsSaturate
      ? ["(the flags and the probe disagree: an emulated CPU? qemu-user shows the host's /proc/cpuinfo)"]
      : []),
    '',
    `Accuracy vs fp32, ${SEEDS.length} seeds × ${ACCURACY_BATCH.join(' × ')} tokens:`,
    '',
    table(
      ['fixture', 'variant', 'quantized nodes', 'logit cosine', 'top-1', 'top-5', 'size vs fp32'],
      acc.map((r) => [
        r.fixture,
        r.variant,
        String(r.quantized),
        r.cosine.toFixed(5),
        r.top1.toFixed(3),
        r.top5.toFixed(3),
        r.sizeRatio.toFixed(3),
      ]),
    ),
  ];
  if (spd !== undefined) {
    parts.push(
      '',
      `Speed, batch ${SPEED_BATCH.join(' × ')}, interleaved in one process (${availableParallelism()} cores); ` +
        'speed-up = median of per-round fp32/variant ratios [quartiles]:',
      '',
      table(
        ['model', 'variant', 'threads', 'median ms', 'speed-up vs fp32', 'runs'],
        spd.map((r) => [
          r.model,
          r.variant,
          String(r.threads),
          r.medianMs.toFixed(2),
          `${r.speedup.toFixed(2)}× [${r.speedupQ25.toFixed(2)}–${r.speedupQ75.toFixed(2)}]`,
          String(r.runs),
        ]),
      ),
    );
  }
  return parts.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, 'no-speed': { type: 'boolean', default: false } },
    strict: true,
  });
  const started = performance.now();
  const cpu = await cpuReport();
  const acc = await accuracy();
  const spd = values['no-speed'] ? undefined : await speed();
  const seconds = (performance.now() - started) / 1000;
  if (values.json) {
    const report = { ort: ortVersion(), cpu, accuracy: acc, speed: spd ?? null, seconds };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    console.log(markdown(cpu, acc, spd));
    console.log(`\n(${seconds.toFixed(0)} s in all)`);
  }
}

await main();
