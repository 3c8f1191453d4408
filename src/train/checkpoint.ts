/**
 * Training checkpoints: one safetensors file with the parameters, the AdamW moments (`optimizer.m.<name>`,
 * `optimizer.v.<name>`) and, as string metadata, the step, seed, generator state and configuration. Restoring
 * one gives bit-identical training from that step on.
 */
import { TlcError } from '../errors/index.js';
import { DataType } from '../onnx/dtype.js';
import type { Tensor } from '../onnx/ir.js';
import type { RngState } from './rng.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';
import type { Trainer } from './trainer.js';

export const CHECKPOINT_FORMAT = 'tlc-checkpoint/1';

export interface CheckpointMeta {
  readonly step: number;
  readonly seed: number;
  /** State of the data pipeline's generator (batching, masking). */
  readonly rng?: RngState;
  /** Model and training configuration, as the caller wants it restored. */
  readonly config?: unknown;
  /** Anything else the caller needs to resume (data position, elapsed time…). */
  readonly extra?: Record<string, unknown>;
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
  const parse = (key: string): unknown =>
    metadata[key] === undefined ? undefined : JSON.parse(metadata[key]!);
  const meta: CheckpointMeta = {
    step: Number(metadata.step),
    seed: Number(metadata.seed),
    ...(metadata.rng !== undefined && { rng: parse('rng') as RngState }),
    ...(metadata.config !== undefined && { config: parse('config') }),
    ...(metadata.extra !== undefined && { extra: parse('extra') as Record<string, unknown> }),
  };
  return { meta, tensors };
}

/** Loads parameters, optimizer moments and step into a trainer built for the same model. */
export function restoreCheckpoint(trainer: Trainer, path: string): CheckpointMeta {
  const { meta, tensors } = readCheckpoint(path);
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
