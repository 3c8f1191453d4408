/**
 * Training checkpoints: one safetensors file with the parameters, the AdamW moments (`optimizer.m.<name>`,
 * `optimizer.v.<name>`) and, as string metadata, the step, seed, generator state and configuration. Restoring
 * one gives bit-identical training from that step on.
 *
 * A packed checkpoint (packCheckpoint) keeps the parameters only, as float16, for shipping trained models in
 * the repository: a quarter of the bytes (no moments, half-width values). Readers get float32 back; it
 * evaluates and exports like the original, within float16 rounding, but cannot resume training.
 */
import { TlcError } from '../errors/index.js';
import { DataType } from '../onnx/dtype.js';
import { fromFloat16Array, toFloat16Array } from '../onnx/float16.js';
import type { Tensor } from '../onnx/ir.js';
import type { RngState } from '../util/rng.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import type { Trainer } from './trainer.js';

export const CHECKPOINT_FORMAT = 'tlc-checkpoint/1';
const OPTIMIZER_PREFIX = 'optimizer.';

export interface CheckpointMeta {
  readonly step: number;
  readonly seed: number;
  /** State of the data pipeline's generator (batching, masking). */
  readonly rng?: RngState;
  /** Model and training configuration, as the caller wants it restored. */
  readonly config?: unknown;
  /** Anything else the caller needs to resume (data position, elapsed time…). */
  readonly extra?: Record<string, unknown>;
  /** 'float16' for a packed checkpoint (parameters only; see packCheckpoint). */
  readonly packed?: string;
}

export function saveCheckpoint(
  trainer: Trainer,
  path: string,
  meta: Omit<CheckpointMeta, 'step' | 'seed'>,
): number {
  const tensors: Tensor[] = trainer.parameterTensors();
  for (const t of trainer.parameterTensors()) {
    const s = trainer.optimizer.state.get(t.name);
    if (s === undefined) continue;
    tensors.push(
      { ...t, name: `optimizer.m.${t.name}`, data: s.m },
      { ...t, name: `optimizer.v.${t.name}`, data: s.v },
    );
  }
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    step: String(trainer.step),
    seed: String(trainer.options.seed),
    optimizer: JSON.stringify(trainer.optimizer.options),
  };
  if (meta.rng !== undefined) metadata.rng = JSON.stringify(meta.rng);
  if (meta.config !== undefined) metadata.config = JSON.stringify(meta.config);
  if (meta.extra !== undefined) metadata.extra = JSON.stringify(meta.extra);
  return writeSafetensors(path, tensors, metadata);
}

/** Reads a checkpoint's metadata and tensors without a trainer (for export and evaluation). */
export function readCheckpoint(path: string): { meta: CheckpointMeta; tensors: Map<string, Tensor> } {
  const { tensors, metadata } = readSafetensors(path);
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new TlcError(
      'CHECKPOINT_FAILED',
      `${path}: not a TLC checkpoint (format "${metadata.format ?? 'none'}")`,
    );
  }
  if (metadata.packed === 'float16') {
    for (const [name, t] of tensors) {
      if (t.dataType === DataType.FLOAT16) {
        tensors.set(name, { ...t, dataType: DataType.FLOAT, data: fromFloat16Array(t.data as Uint16Array) });
      }
    }
  }
  const parse = (key: string): unknown =>
    metadata[key] === undefined ? undefined : JSON.parse(metadata[key]!);
  const meta: CheckpointMeta = {
    step: Number(metadata.step),
    seed: Number(metadata.seed),
    ...(metadata.rng !== undefined && { rng: parse('rng') as RngState }),
    ...(metadata.config !== undefined && { config: parse('config') }),
    ...(metadata.extra !== undefined && { extra: parse('extra') as Record<string, unknown> }),
    ...(metadata.packed !== undefined && { packed: metadata.packed }),
  };
  return { meta, tensors };
}

/**
 * Writes the parameters of `source` as float16 to `dest`, without optimizer moments, keeping the metadata (step,
 * seed, configuration; `options.config` may rewrite the configuration, e.g. to drop a machine's paths). Returns
 * the bytes written. Values beyond float16's range (±65504) are refused rather
 * than silently turned into infinities.
 */
export function packCheckpoint(
  source: string,
  dest: string,
  options: { config?: (config: unknown) => unknown } = {},
): number {
  const { tensors, metadata } = readSafetensors(source);
  if (metadata.format !== CHECKPOINT_FORMAT)
    throw new TlcError('CHECKPOINT_FAILED', `${source}: not a TLC checkpoint`);
  const packed: Tensor[] = [];
  for (const [name, t] of tensors) {
    if (name.startsWith(OPTIMIZER_PREFIX)) continue;
    if (t.dataType !== DataType.FLOAT) {
      packed.push(t);
      continue;
    }
    const values = t.data as Float32Array;
    for (const v of values) {
      if (Math.abs(v) > 65504)
        throw new TlcError('CHECKPOINT_FAILED', `${source}: "${name}" holds ${v}, beyond float16's range`);
    }
    packed.push({ ...t, dataType: DataType.FLOAT16, data: toFloat16Array(values) });
  }
  const written: Record<string, string> = { ...metadata, packed: 'float16' };
  if (options.config !== undefined && metadata.config !== undefined)
    written.config = JSON.stringify(options.config(JSON.parse(metadata.config)));
  return writeSafetensors(dest, packed, written);
}

/** Loads parameters, optimizer moments and step into a trainer built for the same model. */
export function restoreCheckpoint(trainer: Trainer, path: string): CheckpointMeta {
  const { meta, tensors } = readCheckpoint(path);
  if (meta.packed !== undefined) {
    throw new TlcError(
      'CHECKPOINT_FAILED',
      `${path}: a packed (${meta.packed}, parameters-only) checkpoint cannot resume training; evaluate or export it, or resume from the run's checkpoint.safetensors`,
    );
  }
  if (meta.seed !== trainer.options.seed) {
    throw new TlcError(
      'CHECKPOINT_FAILED',
      `${path}: made with seed ${meta.seed}, the trainer uses ${trainer.options.seed}`,
    );
  }
  const take = (name: string, like: Float32Array): Float32Array => {
    const t = tensors.get(name);
    if (t === undefined) throw new TlcError('CHECKPOINT_FAILED', `${path}: missing tensor "${name}"`);
    if (t.dataType !== DataType.FLOAT || (t.data as Float32Array).length !== like.length) {
      throw new TlcError(
        'CHECKPOINT_FAILED',
        `${path}: tensor "${name}" does not match the model (type or size)`,
      );
    }
    return t.data as Float32Array;
  };
  for (const [name, values] of trainer.params) values.set(take(name, values));
  trainer.optimizer.state.clear();
  if (meta.step > 0) {
    for (const [name, values] of trainer.params) {
      trainer.optimizer.state.set(name, {
        m: Float32Array.from(take(`optimizer.m.${name}`, values)),
        v: Float32Array.from(take(`optimizer.v.${name}`, values)),
      });
    }
  }
  trainer.optimizer.step = meta.step;
  return meta;
}
