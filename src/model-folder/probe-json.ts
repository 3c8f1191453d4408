/**
 * `probe.json`: a compressed folder's fidelity probe, a few KB. It names how to rebuild a small fixed sample
 * of inputs for each of the fp32 variant's graphs (seeded, as compress/validate/sample-inputs.ts draws
 * them) and holds fp32's answer on it: the top-1 class of each row of the graph's first float output. A
 * variant's agreement is the share of rows where its own top-1 matches. tlc.json records each variant's
 * agreement where it was compressed (`check`); the server measures it again where it serves, and a
 * variant that falls short by more than `tolerance` is degraded (runtime/fidelity.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf, TlcError } from '../errors/index.js';
import { jsonChecker } from '../util/json-schema.js';

export const PROBE_JSON = 'probe.json';
export const PROBE_FORMAT = 'tlc-probe/1';

/**
 * Agreement may fall this far below the compress-time figure before a variant counts as degraded: kernels of
 * different CPUs round differently (a row or two of 128 flips between VNNI, AMX and AVX2 for a variant that
 * is right on both), while a saturating int8 kernel or a damaged file costs ten rows or more (measured:
 * docs/usage.md, "Checked where served").
 */
export const DEFAULT_PROBE_TOLERANCE = 0.05;

export interface ProbeFile {
  /** The graph output whose rows are compared (its first float output). */
  readonly output: string;
  /** fp32's top-1 class per row of that output. */
  readonly top1: readonly number[];
}

export interface ProbeJson {
  readonly format: typeof PROBE_FORMAT;
  readonly tolerance: number;
  /** Sample inputs: batch × sequence, token ids drawn from [firstId, vocabSize) with this seed. */
  readonly batch: number;
  readonly sequence: number;
  readonly seed: number;
  readonly vocabSize: number;
  readonly firstId: number;
  /** One per file of the fp32 variant, in tlc.json's order (a variant's files follow the same order). */
  readonly files: readonly ProbeFile[];
}

const PROBE_SCHEMA = {
  type: 'object',
  required: ['format', 'tolerance', 'batch', 'sequence', 'seed', 'vocabSize', 'firstId', 'files'],
  properties: {
    format: { const: PROBE_FORMAT },
    tolerance: { type: 'number', minimum: 0, maximum: 1 },
    batch: { type: 'integer', minimum: 1, maximum: 64 },
    sequence: { type: 'integer', minimum: 1, maximum: 4096 },
    seed: { type: 'integer' },
    vocabSize: { type: 'integer', minimum: 1 },
    firstId: { type: 'integer', minimum: 0 },
    files: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['output', 'top1'],
        properties: {
          output: { type: 'string', minLength: 1 },
          top1: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 } },
        },
      },
    },
  },
} as const;

const checkProbe = jsonChecker<ProbeJson>(PROBE_SCHEMA, 'MODEL_INVALID');

/** The folder's probe.json, checked; undefined when it has none (folders compressed before probes existed). */
export function readProbeJson(dir: string): ProbeJson | undefined {
  const path = join(dir, PROBE_JSON);
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TlcError('MODEL_INVALID', `${path}: cannot read JSON (${messageOf(error)})`, { cause: error });
  }
  return checkProbe(value, path);
}
