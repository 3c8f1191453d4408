/**
 * Checked where served: at load, every variant whose tlc.json entry carries a compress-time probe agreement
 * (`check`) runs the folder's fidelity probe (probe.json) on this machine's kernels and device. A variant
 * that falls short of its compress-time agreement by more than the probe's tolerance is degraded: a folder
 * compressed with VNNI-only int8 weights and served on AVX2, or a variant file damaged after compression.
 * A degraded variant still loads; `variant=auto` passes it over and, with `--refuse-degraded`, naming it is
 * refused (registry.ts). The probe runs in the variant's session worker (a `probe` request; its sessions end with
 * the worker): 8 × 16 tokens per graph, milliseconds.
 */

import { type ProbeSessionOptions, probeAgreement } from '../compress/validate/probe.js';
import { messageOf } from '../errors/index.js';
import type { ProbeJson } from '../model-folder/probe-json.js';
import type { VariantEntry } from '../model-folder/tlc-json.js';
import { cpuFacts, cpuLabel } from '../util/cpu.js';

export interface VariantFidelity {
  /** Top-1 agreement with fp32 on the probe, measured here (NaN when the probe could not run). */
  readonly agreement: number;
  /** The agreement where the folder was compressed, and the CPU that measured it. */
  readonly expected: number;
  readonly expectedCpu: string;
  readonly tolerance: number;
  readonly cpu: string;
  readonly degraded: boolean;
  /** Why it is degraded, for /v1/models and the console. */
  readonly reason?: string;
}

/** A variant whose probe could not run (its files, or its worker, failed): degraded, saying why. */
export function probeFailed(entry: VariantEntry, probe: ProbeJson, error: unknown): VariantFidelity {
  return {
    expected: entry.check?.agreement ?? Number.NaN,
    expectedCpu: entry.check?.cpu ?? '',
    tolerance: probe.tolerance,
    cpu: cpuLabel(cpuFacts()),
    agreement: Number.NaN,
    degraded: true,
    reason: `the probe failed: ${messageOf(error)}`,
  };
}

/** Measures one variant against its compress-time figure; undefined when tlc.json recorded none. */
export async function checkVariant(
  dir: string,
  entry: VariantEntry,
  probe: ProbeJson,
  options: ProbeSessionOptions,
): Promise<VariantFidelity | undefined> {
  if (entry.check === undefined) return undefined;
  const here = cpuLabel(cpuFacts());
  const base = {
    expected: entry.check.agreement,
    expectedCpu: entry.check.cpu,
    tolerance: probe.tolerance,
    cpu: here,
  };
  let agreement: number;
  try {
    agreement = (await probeAgreement(dir, entry.files, probe, options)).agreement;
  } catch (error) {
    return probeFailed(entry, probe, error);
  }
  // Rounded as reported (3 decimals), so that the same figure on both machines never reads as a shortfall.
  const shortfall = Math.round((entry.check.agreement - agreement) * 1000) / 1000;
  if (shortfall <= probe.tolerance) return { ...base, agreement, degraded: false };
  return {
    ...base,
    agreement,
    degraded: true,
    reason: `agrees with fp32 on ${(agreement * 100).toFixed(1)}% of the probe here (${here}) against ${(entry.check.agreement * 100).toFixed(1)}% where it was compressed (${entry.check.cpu}); more than ${(probe.tolerance * 100).toFixed(0)} points short: its answers are not what its figures say on this machine (int8 weights coded for VNNI served on a CPU without it, or a damaged file)`,
  };
}
