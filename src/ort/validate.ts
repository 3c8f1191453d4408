/** Checking a model by loading it in ONNX Runtime, the runtime TLC serves with. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeModel, INLINE_LIMIT_BYTES, saveModel, tensorDataBytes } from '../onnx/io.js';
import type { Model } from '../onnx/ir.js';
import { createSession } from './session.js';

export interface ValidateOptions {
  /** Named in the error message. */
  readonly source?: string;
}

export interface ValidationReport {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/**
 * Loads the model in ONNX Runtime (CPU) and releases it. Throws ORT_SESSION_FAILED with ORT's reason when
 * the runtime refuses the model. Models over the protobuf limit go through a temporary folder with external data.
 */
export async function validate(model: Model, options: ValidateOptions = {}): Promise<ValidationReport> {
  const source = options.source ?? (model.graph.name || 'model');
  if (tensorDataBytes(model) <= INLINE_LIMIT_BYTES) {
    const session = await createSession(encodeModel(model), { source });
    try {
      return { inputs: [...session.inputNames], outputs: [...session.outputNames] };
    } finally {
      await session.release();
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'tlc-validate-'));
  try {
    const path = join(dir, 'model.onnx');
    saveModel(model, path, { externalData: true });
    const session = await createSession(path, { source });
    try {
      return { inputs: [...session.inputNames], outputs: [...session.outputNames] };
    } finally {
      await session.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
