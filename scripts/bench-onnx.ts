/**
 * `npm run bench:onnx`: load/save time and peak memory of the ONNX core (`loadModel` / `saveModel`) on a
 * generated ~100M-parameter float32 model, inline protobuf and with external data.
 *
 * How the figures are taken:
 * - The parent process only orchestrates. Every measurement runs in a fresh child process (this same file,
 *   `--child …`), so one run's allocations cannot inflate another's.
 * - Inside the child, just before the operation: two forced GCs (`--expose-gc`), baseline = current RSS,
 *   then the kernel's RSS high-water mark is reset to the current RSS (`echo 5 > /proc/self/clear_refs`,
 *   Linux). After the operation, peak = VmHWM from /proc/self/status. So "extra" = peak during the operation
 *   − RSS just before it, and nothing that happened earlier in the child (tsx start-up, generating the model)
 *   can leak into it. Where the reset is unavailable the child falls back to getrusage's maxRSS
 *   (`process.resourceUsage().maxRSS`) and says so; that figure is a whole-process high-water mark, and since
 *   on Linux it also inherits the parent's RSS at fork, it can only overstate the extra memory.
 * - load: the child reads a file written beforehand (it is in the page cache: the figure is parse/decode
 *   cost, not disk). extra includes the loaded model itself (1×), as it must.
 * - save: the child first generates the same model in memory (deterministically; 1× the model, no
 *   temporaries), then measures `saveModel` alone. The written files are removed after the measurement.
 * - "retained" = RSS after the operation and two GCs − baseline (a loaded model should retain ~1×).
 * Each operation is run RUNS times; the table shows the median time and the largest extra memory.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DataType,
  GraphBuilder,
  loadModel,
  type Model,
  makeTensor,
  saveModel,
  tensorDataBytes,
} from '../src/onnx/index.js';

const RUNS = 3;
const LAYERS = 24;
const D_MODEL = 1024;
const D_FF = 4096;
const SEED = 0x9e3779b9;
const GOAL_SECONDS = 3;
const GOAL_RATIO = 2.5;
const CHILD_TIMEOUT_MS = 180_000;
const MiB = 2 ** 20;

// ---------------------------------------------------------------------------------------------------------
// Model generation
// ---------------------------------------------------------------------------------------------------------

/** xorshift32: fast, deterministic, good enough to make incompressible weights. */
class XorShift32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** Fills `out` with uniform values in [-scale, scale). */
  fill(out: Float32Array, scale: number): void {
    let s = this.state;
    const k = (2 * scale) / 4294967296;
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = (s >>> 0) * k - scale;
    }
    this.state = s >>> 0;
  }
}

/**
 * y = L_23(…L_1(L_0(x))): 24 layers alternating 1024→4096 and 4096→1024 (MatMul + bias Add, Relu between
 * layers), x float[1,1024] → y float[1,1024]. 100,724,736 parameters (~384 MiB of float32).
 * Weight data is allocated once per tensor and adopted by makeTensor (no copy).
 */
function generateModel(): Model {
  const rng = new XorShift32(SEED);
  const b = GraphBuilder.create({ name: 'bench_mlp' });
  let h = b.input('x', DataType.FLOAT, [1, D_MODEL]);
  for (let i = 0; i < LAYERS; i++) {
    const [inDim, outDim] = i % 2 === 0 ? [D_MODEL, D_FF] : [D_FF, D_MODEL];
    const w = new Float32Array(inDim * outDim);
    rng.fill(w, 1 / Math.sqrt(inDim));
    const bias = new Float32Array(outDim);
    rng.fill(bias, 0.01);
    b.scope(`layer${i}`, () => {
      const wName = b.initializer(makeTensor(`layer${i}.weight`, DataType.FLOAT, [inDim, outDim], w));
      const bName = b.initializer(makeTensor(`layer${i}.bias`, DataType.FLOAT, [outDim], bias));
      h = b.op('Add', [b.op('MatMul', [h, wName]), bName]);
      if (i < LAYERS - 1) h = b.op('Relu', [h]);
    });
  }
  b.output(b.op('Identity', [h], {}, { outputs: ['y'] }), { shape: [1, D_MODEL] });
  return b.toModel({ producerName: 'tlc-bench-onnx' });
}

function parameterCount(model: Model): number {
  let n = 0;
  for (const t of model.graph.initializers.values()) n += t.dims.reduce((a, d) => a * d, 1);
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// Child side: one measured operation per process
// ---------------------------------------------------------------------------------------------------------

interface Measurement {
  readonly seconds: number;
  readonly rssBefore: number;
  readonly peak: number;
  readonly rssAfter: number;
  /** 'VmHWM' when the high-water mark was reset right before the operation, else 'maxRSS'. */
  readonly peakSource: 'VmHWM' | 'maxRSS';
}

interface GenerateReport {
  readonly parameters: number;
  readonly tensorBytes: number;
  readonly tensors: number;
  readonly nodes: number;
  readonly inlineFileBytes: number;
  readonly externalModelBytes: number;
  readonly externalDataBytes: number;
  readonly generateSeconds: number;
}

function statusKiB(field: string): number | undefined {
  try {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    const match = line === undefined ? null : /(\d+)\s*kB/.exec(line);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Resets the kernel's RSS high-water mark (VmHWM) to the current RSS; false where unsupported. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return statusKiB('VmHWM') !== undefined;
  } catch {
    return false;
  }
}

function settle(): void {
  if (globalThis.gc === undefined) return;
  globalThis.gc();
  globalThis.gc();
}

function measure<T>(op: () => T): { result: T; measurement: Omit<Measurement, 'rssAfter'> } {
  settle();
  const rssBefore = process.memoryUsage.rss();
  const reset = resetPeak();
  const t0 = performance.now();
  const result = op();
  const seconds = (performance.now() - t0) / 1000;
  const hwm = reset ? statusKiB('VmHWM') : undefined;
  const peak = hwm !== undefined ? hwm * 1024 : process.resourceUsage().maxRSS * 1024;
  return {
    result,
    measurement: { seconds, rssBefore, peak, peakSource: hwm !== undefined ? 'VmHWM' : 'maxRSS' },
  };
}

function afterSettling(): number {
  settle();
  return process.memoryUsage.rss();
}

function fileSize(path: string): number {
  return statSync(path).size;
}

/** Flushes a file to disk, so that its write-back does not compete with the measurements that follow. */
function flush(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function childGenerate(dir: string): GenerateReport {
  const t0 = performance.now();
  const model = generateModel();
  const generateSeconds = (performance.now() - t0) / 1000;
  saveModel(model, join(dir, 'inline.onnx'), { externalData: false });
  saveModel(model, join(dir, 'external.onnx'), { externalData: true });
  for (const name of ['inline.onnx', 'external.onnx', 'external.onnx_data']) flush(join(dir, name));
  return {
    parameters: parameterCount(model),
    tensorBytes: tensorDataBytes(model),
    tensors: model.graph.initializers.size,
    nodes: model.graph.nodes.length,
    inlineFileBytes: fileSize(join(dir, 'inline.onnx')),
    externalModelBytes: fileSize(join(dir, 'external.onnx')),
    externalDataBytes: fileSize(join(dir, 'external.onnx_data')),
    generateSeconds,
  };
}

function childLoad(path: string): Measurement {
  const { result: model, measurement } = measure(() => loadModel(path));
  const rssAfter = afterSettling();
  if (model.graph.initializers.size !== LAYERS * 2) throw new Error(`${path}: unexpected model`);
  return { ...measurement, rssAfter };
}

function childSave(dir: string, external: boolean): Measurement {
  const model = generateModel();
  const path = join(dir, `save-${process.pid}.onnx`);
  try {
    const { result, measurement } = measure(() => saveModel(model, path, { externalData: external }));
    const rssAfter = afterSettling();
    if (result.bytes <= 0 || model.graph.initializers.size !== LAYERS * 2) throw new Error('save failed');
    return { ...measurement, rssAfter };
  } finally {
    rmSync(path, { force: true });
    rmSync(`${path}_data`, { force: true });
  }
}

/**
 * Reference, not an ONNX operation: copy model-sized bytes into freshly allocated memory (what any decoder
 * that copies tensor data must do at least once). Shows what page faults and memcpy cost on this machine.
 */
function childCopy(bytes: number): Measurement {
  const source = new Uint8Array(bytes).fill(1);
  const { result, measurement } = measure(() => {
    const copy = new Uint8Array(bytes);
    copy.set(source);
    return copy;
  });
  const rssAfter = afterSettling();
  if (result[bytes - 1] !== 1) throw new Error('copy failed');
  return { ...measurement, rssAfter };
}

function runChild(args: readonly string[]): void {
  const [command, target, mode] = args;
  if (target === undefined) throw new Error(`--child ${command ?? ''}: missing path`);
  let report: GenerateReport | Measurement;
  switch (command) {
    case 'generate':
      report = childGenerate(target);
      break;
    case 'load':
      report = childLoad(target);
      break;
    case 'save':
      report = childSave(target, mode === 'external');
      break;
    case 'copy':
      report = childCopy(Number(target));
      break;
    default:
      throw new Error(`unknown child command ${command ?? ''}`);
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Parent side: orchestration and report
// ---------------------------------------------------------------------------------------------------------

const SELF = fileURLToPath(import.meta.url);

function spawnChild<T>(args: readonly string[]): T {
  const execArgv = process.execArgv.includes('--expose-gc')
    ? process.execArgv
    : [...process.execArgv, '--expose-gc'];
  const child = spawnSync(process.execPath, [...execArgv, SELF, '--child', ...args], {
    encoding: 'utf8',
    timeout: CHILD_TIMEOUT_MS,
    maxBuffer: 16 * MiB,
  });
  if (child.error !== undefined) throw child.error;
  if (child.status !== 0) {
    throw new Error(
      `child ${args.join(' ')} exited with ${child.status ?? child.signal ?? '?'}:\n${child.stderr}`,
    );
  }
  const last = child.stdout.trim().split('\n').at(-1);
  if (last === undefined || last === '') throw new Error(`child ${args.join(' ')} printed no result`);
  return JSON.parse(last) as T;
}

interface OpSpec {
  readonly label: string;
  readonly args: readonly string[];
  /** A reference row: not held to the goal. */
  readonly reference?: boolean;
}

interface OpResult {
  readonly label: string;
  readonly reference: boolean;
  readonly runs: readonly Measurement[];
  readonly medianSeconds: number;
  readonly maxExtra: number;
  readonly maxRetained: number;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'tlc-bench-onnx-'));
  try {
    const cpuList = cpus();
    console.log('ONNX core load/save benchmark');
    console.log(
      `  Node ${process.version} (${process.platform}/${process.arch}), ${availableParallelism()} CPUs` +
        ` (${cpuList[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    );
    console.log(`  temp dir ${dir}`);

    const gen = spawnChild<GenerateReport>(['generate', dir]);
    const modelBytes = gen.tensorBytes;
    console.log(
      `  model: ${gen.parameters.toLocaleString('en-US')} parameters (float32), ${gen.tensors} initializers,` +
        ` ${gen.nodes} nodes; tensor data ${mib(modelBytes)} MiB (generated in ${gen.generateSeconds.toFixed(2)} s)`,
    );
    console.log(`  files: inline.onnx ${mib(gen.inlineFileBytes)} MiB;`);
    console.log(
      `         external.onnx ${(gen.externalModelBytes / 1024).toFixed(1)} KiB + external.onnx_data ${mib(gen.externalDataBytes)} MiB`,
    );
    console.log('');

    const ops: OpSpec[] = [
      { label: 'load inline', args: ['load', join(dir, 'inline.onnx')] },
      { label: 'load external', args: ['load', join(dir, 'external.onnx')] },
      { label: 'save inline', args: ['save', dir, 'inline'] },
      { label: 'save external', args: ['save', dir, 'external'] },
      { label: 'ref: copy 1×', args: ['copy', String(modelBytes)], reference: true },
    ];
    const results: OpResult[] = [];
    const sources = new Set<string>();
    for (const op of ops) {
      const runs: Measurement[] = [];
      for (let i = 0; i < RUNS; i++) {
        const m = spawnChild<Measurement>(op.args);
        sources.add(m.peakSource);
        runs.push(m);
        process.stderr.write(
          `  ${op.label} run ${i + 1}/${RUNS}: ${m.seconds.toFixed(3)} s, extra ${mib(m.peak - m.rssBefore)} MiB\n`,
        );
      }
      results.push({
        label: op.label,
        reference: op.reference === true,
        runs,
        medianSeconds: median(runs.map((r) => r.seconds)),
        maxExtra: Math.max(...runs.map((r) => r.peak - r.rssBefore)),
        maxRetained: Math.max(...runs.map((r) => r.rssAfter - r.rssBefore)),
      });
    }

    console.log('');
    console.log(
      `Results (${RUNS} fresh processes each; median time, max extra memory; model = ${mib(modelBytes)} MiB)`,
    );
    const header = [
      pad('operation', 15),
      lpad('time (s)', 9),
      lpad('min-max (s)', 13),
      lpad('baseline MiB', 13),
      lpad('extra MiB', 10),
      lpad('× model', 8),
      lpad('retained MiB', 13),
      '  goal',
    ].join(' ');
    console.log(header);
    console.log('-'.repeat(header.length + 20));
    let allPass = true;
    for (const r of results) {
      const ratio = r.maxExtra / modelBytes;
      const fastEnough = r.medianSeconds < GOAL_SECONDS;
      const leanEnough = ratio < GOAL_RATIO;
      if (!r.reference) allPass &&= fastEnough && leanEnough;
      const why = [
        ...(fastEnough ? [] : [`time ≥ ${GOAL_SECONDS} s`]),
        ...(leanEnough ? [] : [`memory ≥ ${GOAL_RATIO}×`]),
      ];
      const times = r.runs.map((m) => m.seconds);
      console.log(
        [
          pad(r.label, 15),
          lpad(r.medianSeconds.toFixed(3), 9),
          lpad(`${Math.min(...times).toFixed(2)}-${Math.max(...times).toFixed(2)}`, 13),
          lpad(mib(median(r.runs.map((m) => m.rssBefore))), 13),
          lpad(mib(r.maxExtra), 10),
          lpad(`${ratio.toFixed(2)}×`, 8),
          lpad(mib(r.maxRetained), 13),
          `  ${r.reference ? '(reference)' : why.length === 0 ? 'PASS' : `FAIL (${why.join(', ')})`}`,
        ].join(' '),
      );
    }
    console.log('');
    console.log(
      'ref: copy 1× = allocate model-sized memory and memcpy into it in a fresh process: the floor for any' +
        ' loader that copies tensor data once. Time spent in first-touch page faults varies a lot on VMs.',
    );
    console.log(
      `peak RSS source: ${[...sources].join(', ')}` +
        (sources.has('maxRSS')
          ? ' (maxRSS is a whole-process high-water mark: the extra figures are upper bounds)'
          : ' (kernel high-water mark reset just before each operation)'),
    );
    console.log(
      `${allPass ? 'PASS' : 'FAIL'}: goal = load and save each under ${GOAL_SECONDS} s and extra memory under` +
        ` ${GOAL_RATIO}× the model size (${mib(GOAL_RATIO * modelBytes)} MiB)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') runChild(argv.slice(1));
else main();
