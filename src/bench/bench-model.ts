/**
 * `tlc bench` for one model folder: per variant, size on disk, parameters and non-zero parameters, task scores
 * (measured on `evalData` when given, else as recorded in tlc.json) and latency percentiles and throughput for
 * every device × batch size × sequence length, after warm-up, with the ORT thread count stated.
 */

import { existsSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { modelFolderTlc, servedTask } from '../model-folder/read.js';
import type { ModelTask, VariantEntry } from '../model-folder/tlc-json.js';
import { loadModel } from '../onnx/io.js';
import { type Device, ortVersion } from '../ort/session.js';
import { type LatencySummary, summarise, type TimingOptions, timeRuns } from '../ort/timing.js';
import { taskSpec } from '../tasks/index.js';
import { cpuFacts, type Int8Path } from '../util/cpu.js';
import { countParameters } from './nonzero.js';

export interface BenchOptions {
  /** ONNX Runtime intra-op threads per session. */
  readonly threads: number;
  readonly devices: readonly Device[];
  readonly batches: readonly number[];
  readonly lengths: readonly number[];
  readonly timing?: TimingOptions;
  /** Variant names to bench (default: all in tlc.json). */
  readonly variants?: readonly string[];
  /** Test-split text (fill-mask) or TSV (translation) to score every variant on. */
  readonly evalData?: string;
  /** Fill-mask: tokens of evalData scored (default 16384). */
  readonly evalTokens?: number;
  /** ORT session config entries for every session. */
  readonly extra?: Record<string, unknown>;
  /** Called before each measurement with what it is and how far the bench has got (0–1). */
  readonly onProgress?: (label: string, fraction: number) => void;
}

export interface LatencyPoint extends LatencySummary {
  /** The device asked for and the execution provider that ran it. */
  readonly device: Device;
  readonly provider: string;
  readonly batch: number;
  readonly sequence: number;
}

export interface VariantBench {
  readonly name: string;
  readonly recipe: readonly string[];
  readonly files: readonly string[];
  /** Bytes on disk of the variant's files (external data included). */
  readonly bytes: number;
  readonly parameters: number;
  readonly nonZero: number;
  /** accuracy (0–1) and perplexity for fill-mask, bleu and chrf (0–100) for translation. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Where the metrics come from: measured on evalData now, recorded in tlc.json, or none. */
  readonly metricsSource: 'measured' | 'tlc.json' | 'none';
  readonly latency: readonly LatencyPoint[];
}

export interface ModelBench {
  readonly model: string;
  readonly folder: string;
  readonly task: ModelTask;
  readonly threads: number;
  readonly machine: {
    readonly cpu: string;
    /** The instruction-set features that pick ORT's int8 / 4-bit kernels, and the int8 path they give. */
    readonly features: readonly string[];
    readonly int8: Int8Path;
    readonly cores: number;
    readonly node: string;
    readonly ort: string;
  };
  readonly variants: readonly VariantBench[];
}

/** The machine a bench ran on, as reports state it. */
export function machineFacts(): ModelBench['machine'] {
  const list = cpus();
  const cpu = cpuFacts();
  return {
    cpu: cpu.model,
    features: cpu.features,
    int8: cpu.int8,
    cores: list.length,
    node: process.version,
    ort: ortVersion(),
  };
}

/** Bytes of a variant's files and the external data files beside them (Optimum's `<file>_data`). */
export function variantBytes(folder: string, files: readonly string[]): number {
  let bytes = 0;
  for (const f of files) {
    bytes += statSync(join(folder, f)).size;
    if (existsSync(join(folder, `${f}_data`))) bytes += statSync(join(folder, `${f}_data`)).size;
  }
  return bytes;
}

function selectVariants(all: readonly VariantEntry[], names: readonly string[] | undefined, folder: string) {
  if (names === undefined) return all;
  return names.map((name) => {
    const v = all.find((x) => x.name === name);
    if (v === undefined)
      throw new TlcError(
        'CLI_USAGE',
        `${folder} has no variant "${name}"; it has ${all.map((x) => x.name).join(', ')}`,
      );
    return v;
  });
}

function checkShapes(o: BenchOptions, maxLength: number, folder: string): void {
  const bad = (what: string) => {
    throw new TlcError('CLI_USAGE', what);
  };
  for (const b of o.batches)
    if (!Number.isInteger(b) || b < 1) bad(`batch sizes must be integers ≥ 1, got ${b}`);
  for (const s of o.lengths) {
    if (!Number.isInteger(s) || s < 2) bad(`sequence lengths must be integers ≥ 2, got ${s}`);
    if (s > maxLength) bad(`sequence length ${s} is beyond ${folder}'s maximum of ${maxLength} tokens`);
  }
  if (o.batches.length === 0 || o.lengths.length === 0 || o.devices.length === 0)
    bad('give at least one batch size, sequence length and device');
}

export async function benchModel(folder: string, o: BenchOptions): Promise<ModelBench> {
  if (!existsSync(folder)) throw new TlcError('CLI_USAGE', `${folder}: no such model folder`);
  const tlc = modelFolderTlc(folder);
  const task = servedTask(tlc, folder);
  checkShapes(o, tlc.architecture.maxLength || Number.POSITIVE_INFINITY, folder);
  const variants = selectVariants(tlc.variants, o.variants, folder);
  const total =
    variants.length * (o.devices.length * o.batches.length * o.lengths.length + (o.evalData ? 1 : 0));
  let done = 0;
  const progress = (label: string) => o.onProgress?.(`${basename(folder)} ${label}`, done / total);
  const out: VariantBench[] = [];
  for (const variant of variants) {
    const counts = variant.files
      .map((f) => countParameters(loadModel(join(folder, f))))
      .reduce((a, c) => ({ parameters: a.parameters + c.parameters, nonZero: a.nonZero + c.nonZero }));
    let metrics: Record<string, number> = { ...(variant.metrics ?? {}) };
    let metricsSource: VariantBench['metricsSource'] = variant.metrics === undefined ? 'none' : 'tlc.json';
    if (o.evalData !== undefined) {
      progress(`${variant.name}: scoring on ${basename(o.evalData)}`);
      const scores = await taskSpec(task, folder).scoring.score(folder, variant.files, o.evalData, {
        threads: o.threads,
        maxLength: tlc.architecture.maxLength,
        reference: (tlc.variants.find((v) => v.recipe.length === 0) ?? tlc.variants[0]!).files,
        sequenceLength: Math.min(128, tlc.architecture.maxLength || 128),
        ...(o.evalTokens !== undefined && { maxTokens: o.evalTokens }),
      });
      metrics = Object.fromEntries(Object.entries(scores).filter(([, v]) => v !== undefined)) as Record<
        string,
        number
      >;
      metricsSource = 'measured';
      done += 1;
    }
    const latency: LatencyPoint[] = [];
    for (const device of o.devices) {
      const probe = await taskSpec(task, folder).bench.probe(folder, tlc, variant, {
        threads: o.threads,
        device,
        ...(o.extra && { extra: o.extra }),
      });
      try {
        for (const batch of o.batches)
          for (const sequence of o.lengths) {
            progress(`${variant.name} ${device} batch ${batch} × ${sequence}`);
            const times = await timeRuns(probe.workload(batch, sequence), o.timing);
            latency.push({ device, provider: probe.provider, batch, sequence, ...summarise(times, batch) });
            done += 1;
          }
      } finally {
        await probe.release();
      }
    }
    out.push({
      name: variant.name,
      recipe: variant.recipe,
      files: variant.files,
      bytes: variantBytes(folder, variant.files),
      ...counts,
      metrics,
      metricsSource,
      latency,
    });
  }
  o.onProgress?.(`${basename(folder)} done`, 1);
  return {
    model: basename(folder),
    folder,
    task,
    threads: o.threads,
    machine: machineFacts(),
    variants: out,
  };
}
