/**
 * What export-and-compress reports: one row per variant (report.json) and the kept variants as tlc.json entries,
 * both written atomically. The entries are written twice: without latency once every variant is built (the
 * served-path timing opens the stage folder as the server would), then with scores and latency at the end.
 */

import { renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { graphFiles } from '../model-folder/layout.js';
import type { TlcModelJson, VariantEntry } from '../model-folder/tlc-json.js';
import { modelFilesBytes } from '../onnx/file-bytes.js';
import { loadModel } from '../onnx/io.js';
import { countParameters } from '../onnx/parameters.js';
import type { Device } from '../ort/session.js';
import { ALL_METRICS, type MetricKey } from '../tasks/catalog.js';
import type { VariantScores } from '../tasks/scores.js';
import { type CpuFacts, cpuLabel } from '../util/cpu.js';
import type { AppliedRecipe } from './apply-recipe.js';
import type { Drift } from './validate/drift.js';
import type { VariantLatency } from './validate/latency.js';
import type { ProbeAgreement } from './validate/probe.js';

/** A variant's row; with --eval-data, its task's metrics (VariantScores: accuracy, perplexity, BLEU, chrF, …). */
export interface VariantReport extends VariantScores {
  readonly name: string;
  readonly recipe: string;
  readonly files: readonly string[];
  readonly bytes: number;
  readonly parameters: number;
  /** Parameters not exactly zero (zeros counted in weight tensors of at least 1024 elements). */
  readonly nonZero: number;
  /** Sparsity of the magnitude-pruned weight tensors (0 without a prune step). */
  readonly sparsity: number;
  /** … per group of tensors: attention and ffn projections (and embedding / head / other when included). */
  readonly sparsityByGroup?: AppliedRecipe['sparsityByGroup'];
  readonly applied: number;
  readonly declined: readonly string[];
  readonly drift: Drift;
  /** Timed interleaved with fp32 at the end (absent with `latency: false`). */
  readonly latency?: VariantLatency;
  /** The fidelity probe's agreement with fp32 on this machine (probe.json; absent when no probe was built). */
  readonly check?: ProbeAgreement;
  /**
   * 'size' when the variant was timed and is not faster than fp32 on this CPU (4-bit weights where
   * MatMulNBits is slower than the float GEMM): kept for its size, not its speed.
   */
  readonly kind?: 'speed' | 'size';
  readonly kept: boolean;
  readonly reason?: string;
}

export interface CompressReport {
  /** The folder written (as given on the command line; report.json itself does not record it). */
  readonly dir: string;
  readonly task: string;
  /** The CPU the drift, probe and latency figures were measured on: its kernels decide int8's speed and accuracy. */
  readonly cpu: CpuFacts;
  /** Set when TLC does not serve the model's task (a causal LM): why, and how the task was detected. */
  readonly notServed?: string;
  readonly device: string;
  readonly threads: number;
  /** The sample inputs of the drift check. */
  readonly inputs: { readonly batch: number; readonly sequence: number };
  /**
   * What the latency figures time: `served` is the task's served path (the `tlc bench` probe) at batch ×
   * sequence; `graph` the exported graph (a task TLC does not serve). Absent without timing.
   */
  readonly timing?: { readonly what: 'served' | 'graph'; readonly batch: number; readonly sequence: number };
  readonly variants: readonly VariantReport[];
  /**
   * Graphs copied along from the source that no variant lists (transformers.js's onnx/model_quantized.onnx):
   * tlc.json does not name them, so the server does not serve them, and TLC did not build or measure them.
   */
  readonly unlistedGraphs?: readonly string[];
  /** What TLC changed in the source's fp32 graphs so that they serve (--dynamic-axes), one line each. */
  readonly sourceFixes?: readonly string[];
}

/** tlc.json's entry of each kept variant, with its scores and (once timed) its latency. */
export function variantEntries(
  reports: readonly VariantReport[],
  timing: { readonly batch: number; readonly sequence: number; readonly threads: number } | undefined,
  cpu?: CpuFacts,
): VariantEntry[] {
  return reports
    .filter((r) => r.kept)
    .map((r) => ({
      name: r.name,
      files: r.files,
      recipe: r.recipe === 'fp32' ? [] : r.recipe.split('+'),
      bytes: r.bytes,
      parameters: r.parameters,
      nonZero: r.nonZero,
      ...metricsOf(r),
      ...(r.latency &&
        timing && {
          latency: {
            p50_ms: r.latency.p50,
            p95_ms: r.latency.p95,
            speedup: r.latency.speedup.median,
            batch: timing.batch,
            sequence: timing.sequence,
            threads: timing.threads,
            ...(cpu && { cpu: cpuLabel(cpu) }),
          },
        }),
      ...(r.check &&
        cpu && { check: { agreement: r.check.agreement, rows: r.check.rows, cpu: cpuLabel(cpu) } }),
    }));
}

/** tlc.json with the kept variants (the provisional one the timing opens, then the final one). */
export function writeTlcJson(
  out: string,
  tlc: TlcModelJson,
  variants: readonly VariantEntry[],
): TlcModelJson {
  const json: TlcModelJson = { ...tlc, variants };
  writeJsonAtomically(join(out, 'tlc.json'), json);
  return json;
}

export interface ReportContext {
  readonly cpu: CpuFacts;
  readonly threads: number;
  readonly device: Device;
  readonly inputs: CompressReport['inputs'];
  readonly timing: CompressReport['timing'];
  readonly notServed: string | undefined;
  readonly sourceFixes?: readonly string[];
}

/** report.json (every variant) and tlc.json (the kept ones, with their scores and latency), atomically. */
export function writeReports(
  out: string,
  tlc: TlcModelJson,
  reports: readonly VariantReport[],
  o: ReportContext,
): CompressReport {
  const report: CompressReport = {
    dir: out,
    task: tlc.task,
    cpu: o.cpu,
    ...(o.notServed !== undefined && { notServed: o.notServed }),
    device: o.device,
    threads: o.threads,
    inputs: o.inputs,
    ...(o.timing && { timing: o.timing }),
    // Sized again from disk with external data: the fp32 weights of a foreign folder may sit in
    // model.onnx_data beside a graph-only model.onnx.
    variants: reports.map((r) =>
      r.kept ? { ...r, bytes: modelFilesBytes(out, r.files), ...counted(out, r) } : r,
    ),
    ...unlisted(out, reports),
    ...(o.sourceFixes !== undefined && o.sourceFixes.length > 0 && { sourceFixes: o.sourceFixes }),
  };
  // The stage folder is renamed into place afterwards: report.json names no path (the file lives in it).
  const { dir: _where, ...stored } = report;
  writeJsonAtomically(join(out, 'report.json'), stored);
  writeTlcJson(
    out,
    tlc,
    variantEntries(report.variants, o.timing && { ...o.timing, threads: o.threads }, o.cpu),
  );
  return report;
}

/**
 * A kept variant's parameters as `tlc inspect` and tlc.json count them (onnx/parameters.ts): its weights in
 * whatever storage, a tied head's copy once — not every element of every initializer, which counted an int8
 * variant's scales and its head's separately quantized copy of the table (57.0M of a 41.4M model).
 */
function counted(out: string, r: VariantReport): Pick<VariantReport, 'parameters' | 'nonZero'> {
  const c = countParameters(r.files.map((f) => loadModel(join(out, f)).graph));
  return { parameters: c.total, nonZero: c.total - c.zeros };
}

/** The .onnx files in `out` that no kept variant lists. */
function unlisted(out: string, reports: readonly VariantReport[]): Pick<CompressReport, 'unlistedGraphs'> {
  const listed = new Set(reports.filter((r) => r.kept).flatMap((r) => r.files));
  const graphs = graphFiles(out).filter((f) => !listed.has(f));
  return graphs.length > 0 ? { unlistedGraphs: graphs } : {};
}

/** tlc.json's `metrics` of a variant: the scores it was given, if any. */
function metricsOf(r: VariantReport): { metrics?: Record<string, number> } {
  const metrics: Record<string, number> = {};
  for (const { key } of ALL_METRICS) {
    const value = r[key as MetricKey];
    if (value !== undefined) metrics[key] = value;
  }
  return Object.keys(metrics).length > 0 ? { metrics } : {};
}

function writeJsonAtomically(path: string, value: unknown): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}
