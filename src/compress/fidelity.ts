/**
 * The last measurements of export-and-compress, once every variant is built and timed: the fidelity probe
 * (probe.json, and each kept variant's agreement with fp32 on it, here) and whether a variant is kept for
 * its speed or only for its size.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from '../errors/index.js';
import { PROBE_JSON } from '../model-folder/probe-json.js';
import type { TlcModelJson } from '../model-folder/tlc-json.js';
import type { Model } from '../onnx/ir.js';
import { modelSaturation } from './quantize/saturation.js';
import type { VariantReport } from './report.js';
import { buildProbe, type ProbeSessionOptions, probeAgreement } from './validate/probe.js';

/** Probe inputs: 8 × 16 tokens (128 rows per graph), capped at the model's length. */
const PROBE_BATCH = 8;
const PROBE_SEQUENCE = 16;

/** Writes probe.json from the fp32 files and adds each kept variant's agreement; a model it cannot probe is logged. */
export async function probeVariants(
  out: string,
  tlc: TlcModelJson,
  baseFiles: readonly string[],
  reports: readonly VariantReport[],
  options: ProbeSessionOptions,
  log: (message: string) => void,
): Promise<VariantReport[]> {
  const shape = {
    batch: PROBE_BATCH,
    sequence: Math.min(PROBE_SEQUENCE, tlc.architecture.maxLength || PROBE_SEQUENCE),
    vocabSize: tlc.architecture.vocabSize || 1000,
  };
  try {
    const probe = await buildProbe(out, baseFiles, shape, options);
    writeFileSync(join(out, PROBE_JSON), `${JSON.stringify(probe)}\n`);
    const checked: VariantReport[] = [];
    for (const r of reports)
      checked.push(r.kept ? { ...r, check: await probeAgreement(out, r.files, probe, options) } : r);
    return checked;
  } catch (error) {
    log(`no fidelity probe: ${messageOf(error)}`);
    return [...reports];
  }
}

/**
 * A warning when a variant's int8 GEMM weights can saturate the int16 pair sums of x86 CPUs without VNNI
 * (`--int8-weights full`, or int8 weights the source came with); undefined when none can.
 */
export function saturationWarning(variant: string, model: Model): string | undefined {
  const s = modelSaturation(model.graph);
  if (s.saturatingPairs === 0) return undefined;
  return `${variant}: warning: ${s.saturatingPairs} of ${s.pairs} int8 weight pairs (in ${s.saturatingWeights.length} of ${s.weights} weights) can saturate on x86 CPUs without VNNI (AVX2, AVX-512 without VNNI): serve it only on CPUs with VNNI, AMX or ARM dot products, or recompress with --int8-weights pair-bounded`;
}

/** A timed compressed variant not faster than fp32 here is a size variant (4-bit weights on some CPUs). */
export function withKind(reports: readonly VariantReport[]): VariantReport[] {
  return reports.map((r, i) =>
    i === 0 || r.latency === undefined
      ? r
      : { ...r, kind: r.latency.speedup.median < 1 ? ('size' as const) : ('speed' as const) },
  );
}
