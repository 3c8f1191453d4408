/**
 * The CPU a figure was measured on, as ONNX Runtime's kernel choice depends on it: model name, architecture,
 * and the instruction-set features that pick MLAS's int8 and 4-bit kernels. Int8 on x86 without VNNI adds
 * u8·s8 byte pairs in int16 (VPMADDUBSW) and is slower and, with full-range weights, less accurate than on
 * VNNI or AMX; reports carry this so that a figure is never read on the wrong machine.
 */
import { readFileSync } from 'node:fs';
import { arch, cpus } from 'node:os';

/** Features that change which int8 / n-bit kernel ONNX Runtime runs (as /proc/cpuinfo names them). */
export const KERNEL_FEATURES: readonly string[] = [
  'avx2',
  'fma',
  'avx512f',
  'avx512bw',
  'avx512_vnni',
  'avx_vnni',
  'amx_int8',
  'asimddp',
  'i8mm',
  'sve',
];

/** How this CPU's integer GEMM adds u8 × s8 products (what decides whether int8 weights can saturate). */
export type Int8Path = 'amx' | 'vnni' | 'vpmaddubsw' | 'arm-dot' | 'other';

export interface CpuFacts {
  readonly model: string;
  readonly arch: string;
  /** The KERNEL_FEATURES present, in that order. */
  readonly features: readonly string[];
  readonly int8: Int8Path;
}

/** The int8 path MLAS takes given the features (AMX and VNNI add into int32; AVX2/AVX-512BW alone pair in int16). */
export function int8Path(architecture: string, features: readonly string[]): Int8Path {
  const has = (f: string) => features.includes(f);
  if (architecture === 'arm64') return has('asimddp') || has('i8mm') ? 'arm-dot' : 'other';
  if (architecture !== 'x64') return 'other';
  if (has('amx_int8')) return 'amx';
  if (has('avx512_vnni') || has('avx_vnni')) return 'vnni';
  if (has('avx2') || has('avx512bw')) return 'vpmaddubsw';
  return 'other';
}

/** Features from /proc/cpuinfo's text (x86 `flags`, ARM `Features`). */
export function parseCpuFeatures(cpuinfo: string): string[] {
  const line = /^(?:flags|Features)\s*:\s*(.*)$/m.exec(cpuinfo);
  const present = new Set((line?.[1] ?? '').trim().split(/\s+/));
  return KERNEL_FEATURES.filter((f) => present.has(f));
}

let cached: CpuFacts | undefined;

/** This machine's CPU (read once; features are empty where /proc/cpuinfo is not readable). */
export function cpuFacts(): CpuFacts {
  if (cached !== undefined) return cached;
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: the model name from Node alone; the int8 path is then 'other' (unknown).
  }
  const features = parseCpuFeatures(text);
  const architecture = arch();
  cached = {
    model: cpus()[0]?.model.trim() || 'unknown CPU',
    arch: architecture,
    features,
    int8: int8Path(architecture, features),
  };
  return cached;
}

/** One line for reports: `AMD EPYC (x64: avx2 fma avx512f avx512bw avx512_vnni; int8 vnni)`. */
export function cpuLabel(c: CpuFacts): string {
  return `${c.model} (${c.arch}: ${c.features.join(' ') || 'no listed features'}; int8 ${c.int8})`;
}
