/**
 * The fidelity probe (model-folder/probe-json.ts): built from the fp32 variant when a folder is compressed,
 * and run on any variant, there and wherever the folder is served. Each graph of the variant runs once on
 * the probe's seeded sample inputs; its agreement is the share of rows of the first float output whose top-1
 * class is fp32's.
 */
import { join } from 'node:path';
import { TlcError } from '../../errors/index.js';
import {
  DEFAULT_PROBE_TOLERANCE,
  PROBE_FORMAT,
  type ProbeFile,
  type ProbeJson,
} from '../../model-folder/probe-json.js';
import { createSession, type Device, type OrtTensor, runSession } from '../../ort/session.js';
import { sampleFeeds } from './sample-inputs.js';

export interface ProbeSessionOptions {
  readonly threads: number;
  readonly device: Device;
}

/** The probe's inputs: small, so that it runs in milliseconds at every load and its answers take a few KB. */
export interface ProbeShape {
  readonly batch: number;
  readonly sequence: number;
  readonly vocabSize: number;
  readonly firstId?: number;
  readonly seed?: number;
  readonly tolerance?: number;
}

export interface ProbeAgreement {
  /** Share of the probe's rows (over all the variant's graphs) whose top-1 is fp32's. */
  readonly agreement: number;
  readonly rows: number;
}

/** Top-1 class of each row of a float tensor [..., classes]. */
export function rowTop1(t: OrtTensor): number[] {
  const data = t.data as Float32Array;
  const classes = t.dims[t.dims.length - 1] ?? 1;
  const out: number[] = [];
  for (let start = 0; start < data.length; start += classes) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (data[start + c]! > data[start + best]!) best = c;
    out.push(best);
  }
  return out;
}

/** Runs one graph of a variant on the probe's inputs; returns the named output (or the first float one). */
async function runOnProbe(
  path: string,
  probe: Omit<ProbeJson, 'files' | 'format' | 'tolerance'>,
  options: ProbeSessionOptions,
  output?: string,
): Promise<{ readonly name: string; readonly tensor: OrtTensor }> {
  const session = await createSession(path, { ...options, source: path });
  try {
    const feeds = sampleFeeds(session, probe);
    const out = await runSession(session, feeds, output === undefined ? undefined : [output]);
    const name = output ?? session.outputNames.find((n) => out[n]?.type === 'float32');
    const tensor = name === undefined ? undefined : out[name];
    if (name === undefined || tensor === undefined || tensor.type !== 'float32')
      throw new TlcError(
        'MODEL_INVALID',
        `${path}: no float output to probe${output ? ` ("${output}")` : ''}`,
      );
    return { name, tensor };
  } finally {
    await session.release();
  }
}

/** probe.json's content for the fp32 variant's files (relative to dir). */
export async function buildProbe(
  dir: string,
  files: readonly string[],
  shape: ProbeShape,
  options: ProbeSessionOptions,
): Promise<ProbeJson> {
  const recipe = {
    batch: shape.batch,
    sequence: shape.sequence,
    seed: shape.seed ?? 20261207,
    vocabSize: shape.vocabSize,
    firstId: Math.min(shape.firstId ?? 5, Math.max(0, shape.vocabSize - 1)),
  };
  const out: ProbeFile[] = [];
  for (const f of files) {
    const { name, tensor } = await runOnProbe(join(dir, f), recipe, options);
    out.push({ output: name, top1: rowTop1(tensor) });
  }
  return {
    format: PROBE_FORMAT,
    tolerance: shape.tolerance ?? DEFAULT_PROBE_TOLERANCE,
    ...recipe,
    files: out,
  };
}

/** A variant's agreement with fp32 on the probe, measured on this machine. */
export async function probeAgreement(
  dir: string,
  files: readonly string[],
  probe: ProbeJson,
  options: ProbeSessionOptions,
): Promise<ProbeAgreement> {
  if (files.length !== probe.files.length)
    throw new TlcError(
      'MODEL_INVALID',
      `${dir}: the variant has ${files.length} file(s), probe.json answers for ${probe.files.length}`,
    );
  let agree = 0;
  let rows = 0;
  for (const [i, f] of files.entries()) {
    const expected = probe.files[i]!;
    const { tensor } = await runOnProbe(join(dir, f), probe, options, expected.output);
    const top1 = rowTop1(tensor);
    if (top1.length !== expected.top1.length)
      throw new TlcError(
        'MODEL_INVALID',
        `${join(dir, f)}: ${top1.length} probe rows where probe.json has ${expected.top1.length}`,
      );
    for (const [r, c] of top1.entries()) if (c === expected.top1[r]) agree++;
    rows += top1.length;
  }
  return { agreement: agree / rows, rows };
}
