/** A fill-mask model folder: `onnx/model.onnx` (input_ids, attention_mask → logits) and a RoBERTa config.json. */
import { robertaConfig } from '../../model-folder/hf-config.js';
import { buildMlmEncoder } from '../../models/encoder.js';
import { Rng } from '../../util/rng.js';
import type { ExportSpec } from '../spec.js';

const logits = (config: Parameters<typeof buildMlmEncoder>[0]) =>
  buildMlmEncoder(config, { rng: Rng.seeded(0), head: 'logits', dropout: false });

export const fillMaskExport: ExportSpec = {
  family: 'roberta',
  graphs: (config, bake) => [['model.onnx', bake(logits(config).model)]],
  params: (config) => logits(config).params,
  hfFiles: (config, special) => ({ 'config.json': robertaConfig(config, special) }),
};
