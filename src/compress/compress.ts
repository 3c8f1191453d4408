/**
 * export-and-compress: source (a TLC run, a model folder, or any .onnx file) → a model folder with one
 * variant per recipe, each validated (ONNX Runtime loads it), measured (size, parameters, sparsity, output
 * drift against the fp32 model, latency) and, when evaluation data is given, scored (MLM accuracy of fill-mask
 * models, BLEU and chrF of translation models); variants that lose more than allowed are dropped. Every file is
 * written atomically.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { writeFolderAtomically } from '../export/folder.js';
import { isServedTask, type TlcModelJson } from '../model-folder/tlc-json.js';
import type { Model } from '../onnx/ir.js';
import { createSession, type Device, type OrtFeeds, type OrtSession } from '../ort/session.js';
import { taskSpec } from '../tasks/index.js';
import type { VariantScores } from '../tasks/scores.js';
import type { TaskSpec } from '../tasks/spec.js';
import { cpuFacts } from '../util/cpu.js';
import { compressVariant, outputsOf, type VariantContext } from './compress-variant.js';
import { probeVariants, withKind } from './fidelity.js';
import type { CompressOptions } from './options.js';
import { preflight } from './preflight.js';
import { checkOutside, float32Baseline, prepareSource, symbolicBaseline } from './prepare-source.js';
import {
  type CompressReport,
  type VariantReport,
  variantEntries,
  writeReports,
  writeTlcJson,
} from './report.js';
import { namingFinalPath } from './staged-errors.js';
import { graphWork, measureVariantLatency, type OpenWork } from './validate/latency.js';
import { sampleFeeds } from './validate/sample-inputs.js';
import { modelStats } from './validate/stats.js';

export type { CompressOptions } from './options.js';
export type { CompressReport, VariantReport } from './report.js';

/**
 * The task row that scores variants; a task TLC does not serve (a causal LM) is still compressed and checked
 * against fp32, but not scored, and the report says so.
 */
function taskOf(tlc: TlcModelJson, source: string, options: CompressOptions, log: (m: string) => void) {
  if (isServedTask(tlc.task)) return { spec: taskSpec(tlc.task, source), notServed: undefined };
  const notServed = `task not served: a ${tlc.task} model${tlc.source ? ` (${tlc.source.detected})` : ''}`;
  if (options.evalData !== undefined)
    throw new TlcError('TASK_NOT_SERVED', `${source}: ${notServed}; it cannot be scored, drop --eval-data`);
  log(`${notServed}: compressing without task scores`);
  return { spec: undefined, notServed };
}

/** Sample inputs of batch × length for a graph of the model, the length as its task samples it. */
function sampler(tlc: TlcModelJson, spec: TaskSpec | undefined) {
  const vocabSize = tlc.architecture.vocabSize || 1000;
  const max = tlc.architecture.maxLength || 0;
  return (session: OrtSession, batch: number, sequence: number): OrtFeeds =>
    sampleFeeds(session, {
      batch,
      sequence: spec ? spec.scoring.sampleLength(max, sequence) : Math.min(sequence, max || sequence),
      vocabSize,
      firstId: 5,
    });
}

/** Scores a variant's files on --eval-data through its task (nothing without eval data or a served task). */
function scorer(
  out: string,
  tlc: TlcModelJson,
  spec: TaskSpec | undefined,
  options: CompressOptions,
  reference: readonly string[],
) {
  const evalFile = options.evalData;
  const sequence = options.sequence ?? 128;
  const evalLength = Math.min(sequence, tlc.architecture.maxLength || sequence);
  return async (files: readonly string[]): Promise<VariantScores> =>
    evalFile && spec
      ? spec.scoring.score(out, files, evalFile, {
          threads: options.threads ?? 2,
          maxLength: tlc.architecture.maxLength,
          reference,
          sequenceLength: evalLength,
          ...(options.evalTokens !== undefined && { maxTokens: options.evalTokens }),
        })
      : {};
}

/** The fp32 model's row of the report: the reference every variant is compared with. */
function baselineReport(
  out: string,
  files: readonly string[],
  models: readonly Model[],
  scores: VariantScores,
): VariantReport {
  const stats = models.map(modelStats);
  return {
    name: 'fp32',
    recipe: 'fp32',
    files,
    bytes: files.reduce((s, f) => s + statSync(join(out, f)).size, 0),
    parameters: stats.reduce((s, m) => s + m.parameters, 0),
    nonZero: stats.reduce((s, m) => s + m.parameters - m.zeros, 0),
    sparsity: 0,
    applied: 0,
    declined: [],
    drift: { maxAbs: 0, meanCosine: 1, top1Agreement: 1, top1InTop5: 1, meanKl: 0, positions: 0 },
    ...scores,
    kept: true,
  };
}

/**
 * Compresses `source` into the model folder `out`. The whole folder is built in a hidden sibling and renamed
 * into place at the end (export/folder.ts), so an interrupted run leaves no half-written, servable-looking
 * folder — only a stale sibling that the next run removes; an existing `out` is replaced only with `force`,
 * and only once the new one is complete.
 */
export async function compress(
  source: string,
  out: string,
  options: CompressOptions,
): Promise<CompressReport> {
  if (!existsSync(source)) throw new TlcError('ONNX_READ_FAILED', `${source}: no such file or folder`);
  checkOutside(source, out);
  // Refused before anything is copied or built when the server could not serve the result (servable.ts).
  await preflight(source, options);
  let report: CompressReport | undefined;
  await writeFolderAtomically(out, options.force ?? false, async (stage) => {
    try {
      report = await compressInto(source, stage, options);
    } catch (error) {
      throw namingFinalPath(error, stage, out);
    }
  });
  return { ...report!, dir: out };
}

/** The source as an fp32 model folder in `out`, its task, and its fp32 graphs loaded (float16 widened). */
async function preparedBaseline(
  source: string,
  out: string,
  options: CompressOptions,
  log: (message: string) => void,
) {
  const prepared = await prepareSource(source, out, { ...options, force: true });
  const tlc = prepared.tlc;
  const { spec, notServed } = taskOf(tlc, source, options, log);
  if (options.pooling !== undefined) {
    if (spec?.serving.withPooling === undefined)
      throw new TlcError(
        'CLI_USAGE',
        `--pooling is for feature-extraction models; ${source} is a ${tlc.task} model`,
      );
    spec.serving.withPooling(out, options.pooling);
  }
  const base = tlc.variants.find((v) => v.recipe.length === 0) ?? tlc.variants[0]!;
  const widened = float32Baseline(out, { ...prepared, files: base.files }, log);
  const { models: baseModels, fixes } = options.dynamicAxes
    ? await symbolicBaseline(out, base.files, widened, tlc.architecture.vocabSize || 1000, log)
    : { models: widened, fixes: [] };
  return { tlc, spec, notServed, base, baseModels, fixes };
}

async function compressInto(source: string, out: string, options: CompressOptions): Promise<CompressReport> {
  const log = options.log ?? (() => {});
  const threads = options.threads ?? 2;
  const batch = options.batch ?? 8;
  const sequence = options.sequence ?? 128;
  const device = options.device ?? 'cpu';
  const { tlc, spec, notServed, base, baseModels, fixes } = await preparedBaseline(source, out, options, log);
  const sample = sampler(tlc, spec);
  const sessionOptions = { threads, device };
  const reports: VariantReport[] = [];
  // The fp32 baseline: its sessions, sample feeds, latency and (with eval data) accuracy.
  const baseSessions = await Promise.all(
    base.files.map((f) => createSession(join(out, f), { ...sessionOptions, source: f })),
  );
  const feeds = baseSessions.map((s) => sample(s, batch, sequence));
  const baseOutputs = await Promise.all(baseSessions.map((s, i) => outputsOf(s, feeds[i]!)));
  const score = scorer(out, tlc, spec, options, base.files);
  const baseScores = await score(base.files);
  reports.push(baselineReport(out, base.files, baseModels, baseScores));
  for (const s of baseSessions) await s.release();

  const variantContext: VariantContext = {
    out,
    baseFiles: base.files,
    baseModels,
    feeds,
    baseOutputs,
    sessionOptions,
    options,
    ...(spec !== undefined && { metric: spec.scoring.metric }),
    baseScores,
    score,
    log,
  };
  for (const recipe of options.recipes) reports.push(await compressVariant(recipe, variantContext));
  const timing =
    options.latency === false
      ? undefined
      : ({ what: spec ? 'served' : 'graph', ...latencyShape(tlc, spec, options) } as const);
  const timed =
    timing === undefined
      ? reports
      : await measureVariantLatency(
          reports,
          spec
            ? servedWork(
                out,
                writeTlcJson(out, tlc, variantEntries(reports, undefined)),
                spec,
                sessionOptions,
                timing,
              )
            : graphWork(out, {
                ...sessionOptions,
                feedsFor: (s) => sample(s, timing.batch, timing.sequence),
              }),
          {
            ...(options.latencyRounds !== undefined && { rounds: options.latencyRounds }),
            ...(options.latencySeconds !== undefined && { seconds: options.latencySeconds }),
            log,
          },
        );
  const checked = await probeVariants(out, tlc, base.files, withKind(timed), sessionOptions, log);
  return writeReports(out, tlc, checked, {
    cpu: cpuFacts(),
    threads,
    device,
    inputs: { batch, sequence },
    timing,
    notServed,
    sourceFixes: fixes,
  });
}

/**
 * The shape the variants are timed at: --latency-shape, else --batch × --sequence with the sequence capped at the
 * task's longest `tlc bench` length (a translation probe decodes that many steps) and the model's maximum.
 */
function latencyShape(tlc: TlcModelJson, spec: TaskSpec | undefined, options: CompressOptions) {
  if (options.latencyShape) return options.latencyShape;
  const longest = spec ? Math.max(...spec.bench.lengths) : Number.POSITIVE_INFINITY;
  const sequence = Math.min(
    options.sequence ?? 128,
    longest,
    tlc.architecture.maxLength || Number.POSITIVE_INFINITY,
  );
  return { batch: options.batch ?? 8, sequence };
}

/** A served task's variants timed as `tlc bench` times them: the task's probe over the stage folder's tlc.json. */
function servedWork(
  out: string,
  tlc: TlcModelJson,
  spec: TaskSpec,
  sessionOptions: { readonly threads: number; readonly device: Device },
  shape: { readonly batch: number; readonly sequence: number },
): OpenWork<VariantReport> {
  return async (report) => {
    const entry = tlc.variants.find((v) => v.name === report.name);
    if (entry === undefined)
      throw new TlcError('INTERNAL', `variant ${report.name} is not in the stage folder's tlc.json`);
    const probe = await spec.bench.probe(out, tlc, entry, sessionOptions);
    return { run: probe.workload(shape.batch, shape.sequence), release: () => probe.release() };
  };
}
