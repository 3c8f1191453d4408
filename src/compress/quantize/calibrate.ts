/**
 * Calibration for static quantization: runs the float model in ONNX Runtime on sample feeds with the values
 * to be quantized added as graph outputs (optimisations off, so every value exists as written), and turns
 * what it sees into ranges: MinMax, Percentile or Entropy (histogram methods, histogram.ts). Histograms need
 * a fixed range, so those methods make two passes over the feeds: min/max first, then the histograms over
 * [−absmax, absmax]. Values inside If branches are read from runs with the branches inlined (branch-runs.ts).
 * This is the asynchronous half of static quantization; `staticQdq` stays pure.
 */
import { TlcError } from '../../errors/index.js';
import { allDefinedNames, definedNames, GraphIndex } from '../../onnx/graph-index.js';
import { encodeModel } from '../../onnx/io.js';
import type { Graph, Model, Tensor, ValueInfo } from '../../onnx/ir.js';
import { mapNodeSubgraphs } from '../../onnx/traverse.js';
import { createSession, type OrtFeeds, type OrtSession, runSession } from '../../ort/session.js';
import { compileSelection, type NodeSelection, type NodeSelector } from '../common/selection.js';
import { calibrationRuns } from './branch-runs.js';
import { entropyRange, Histogram, percentileRange, RangeTracker } from './histogram.js';
import type { Ranges, TensorRange } from './options.js';
import { STATIC_QDQ_HANDLERS } from './registry.js';

export type CalibrationMethod =
  | { readonly kind: 'minmax' }
  /** Keeps `percentile` % of the values (default 99.999), symmetric around 0 or cut from both sides (default). */
  | { readonly kind: 'percentile'; readonly percentile?: number; readonly symmetric?: boolean }
  /** KL-divergence threshold over `bins` histogram bins (default 2048) for `quantizedBins` levels (default 128). */
  | { readonly kind: 'entropy'; readonly bins?: number; readonly quantizedBins?: number };

export type CalibrationKind = CalibrationMethod['kind'];

export interface CalibrateOptions extends NodeSelection {
  readonly method?: CalibrationMethod;
  /** Values to calibrate (default: the activation inputs staticQdq would quantize, under the selection). */
  readonly values?: readonly string[];
  /** Histogram bins for percentile (default 2048). */
  readonly bins?: number;
  /** Intra-op threads for the calibration session (default 1). */
  readonly threads?: number;
}

/**
 * The values staticQdq needs ranges for: the non-constant input A of each selected MatMul or Gemm whose weight B
 * is a constant float matrix, in the main graph and in subgraphs (whose weights may live in an enclosing graph,
 * as a merged decoder's do).
 */
export function calibrationTargets(graph: Graph, selection: NodeSelection = {}): string[] {
  const targets = new Set<string>();
  collectTargets(graph, () => undefined, compileSelection(selection), targets);
  return [...targets];
}

function collectTargets(
  graph: Graph,
  outer: (name: string) => Tensor | undefined,
  select: NodeSelector,
  targets: Set<string>,
): void {
  const index = new GraphIndex(graph);
  const defined = definedNames(graph);
  const constant = (name: string) => (defined.has(name) ? index.constantValue(name) : outer(name));
  for (const node of graph.nodes) {
    mapNodeSubgraphs(node, (g) => {
      collectTargets(g, constant, select, targets);
      return g;
    });
    if (node.domain !== '' || !Object.hasOwn(STATIC_QDQ_HANDLERS, node.opType)) continue;
    if (!select(node).selected) continue;
    const [a, b] = node.inputs;
    if (a === undefined || a === '' || b === undefined || constant(a) !== undefined) continue;
    const w = constant(b);
    if (w !== undefined && w.dims.length === 2) targets.add(a);
  }
}

function withOutputs(model: Model, values: readonly string[]): Model {
  const declared = new Set(model.graph.outputs.map((v) => v.name));
  const extra: ValueInfo[] = values.filter((v) => !declared.has(v)).map((name) => ({ name }));
  return { ...model, graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra] } };
}

/** One session of the calibration: a model run (branch-runs.ts) and the wanted values it computes. */
interface Run {
  readonly session: OrtSession;
  readonly values: readonly string[];
}

async function eachBatch(
  runs: readonly Run[],
  feeds: readonly OrtFeeds[],
  visit: (name: string, data: Float32Array) => void,
): Promise<void> {
  for (const { session, values } of runs) {
    for (const batch of feeds) {
      const outputs = await runSession(session, batch, values);
      for (const name of values) {
        const t = outputs[name];
        if (t === undefined || t.type !== 'float32') {
          throw new TlcError(
            'CONFIG_INVALID',
            `calibration: "${name}" is ${t === undefined ? 'not produced' : `a ${t.type} tensor`}; only float32 values can be calibrated`,
          );
        }
        visit(name, t.data as Float32Array);
      }
    }
  }
}

/**
 * A session per calibration run, each asked for the wanted values it computes. A value no run computes (inside
 * an If on a computed condition) gets no range; staticQdq declines its node with the reason.
 */
async function openRuns(model: Model, values: readonly string[], threads: number): Promise<Run[]> {
  const runs: Run[] = [];
  try {
    for (const run of calibrationRuns(model)) {
      const here = definedNames(run.graph);
      const wanted = values.filter((v) => here.has(v));
      if (wanted.length === 0) continue;
      const session = await createSession(encodeModel(withOutputs(run, wanted)), {
        optimizationLevel: 'disabled',
        threads,
        source: 'calibration',
      });
      runs.push({ session, values: wanted });
    }
  } catch (e) {
    for (const r of runs) await r.session.release();
    throw e;
  }
  return runs;
}

/** Runs the model on every batch of feeds and returns a range per calibrated value. */
export async function calibrate(
  model: Model,
  feeds: readonly OrtFeeds[],
  options: CalibrateOptions = {},
): Promise<Ranges> {
  if (feeds.length === 0)
    throw new TlcError('CONFIG_INVALID', 'calibration needs at least one batch of feeds');
  const method = options.method ?? { kind: 'minmax' };
  if (method.kind === 'percentile') {
    const p = method.percentile ?? 99.999;
    if (!(p > 50 && p <= 100))
      throw new TlcError('CONFIG_INVALID', `calibration percentile must be in (50, 100], got ${p}`);
  }
  const values = [...(options.values ?? calibrationTargets(model.graph, options))];
  if (values.length === 0) return new Map();
  const known = allDefinedNames(model.graph);
  const unknown = values.filter((v) => !known.has(v));
  if (unknown.length > 0)
    throw new TlcError(
      'CONFIG_INVALID',
      `calibration: no value named ${unknown.map((v) => `"${v}"`).join(', ')}`,
    );
  const runs = await openRuns(model, values, options.threads ?? 1);
  try {
    const seen = [...new Set(runs.flatMap((r) => r.values))];
    const trackers = new Map(seen.map((v) => [v, new RangeTracker()]));
    await eachBatch(runs, feeds, (name, data) => trackers.get(name)!.add(data));
    if (method.kind === 'minmax') return new Map(seen.map((v) => [v, trackers.get(v)!.range()]));
    const bins = method.kind === 'entropy' ? (method.bins ?? 2048) : (options.bins ?? 2048);
    if (!Number.isInteger(bins) || bins < 16 || bins % 2 !== 0)
      throw new TlcError('CONFIG_INVALID', `calibration bins must be an even integer ≥ 16, got ${bins}`);
    const histograms = new Map(
      seen.map((v) => {
        const r = trackers.get(v)!;
        return [v, new Histogram(bins, Math.max(Math.abs(r.min), Math.abs(r.max)))];
      }),
    );
    await eachBatch(runs, feeds, (name, data) => histograms.get(name)!.add(data));
    const ranges = new Map<string, TensorRange>();
    for (const [name, h] of histograms) {
      ranges.set(
        name,
        method.kind === 'entropy'
          ? entropyRange(h, method.quantizedBins ?? 128)
          : percentileRange(h, method.percentile ?? 99.999, method.symmetric ?? false),
      );
    }
    return ranges;
  } finally {
    for (const r of runs) await r.session.release();
  }
}
