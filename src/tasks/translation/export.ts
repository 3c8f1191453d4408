/**
 * A translation model folder in Optimum's layout: `onnx/encoder_model.onnx`, `onnx/decoder_model.onnx` and
 * `onnx/decoder_with_past_model.onnx` (the key/value cache), a Marian config.json and generation_config.json.
 */
import { marianConfig } from '../../model-folder/hf-config.js';
import type { TransformerConfig } from '../../models/config.js';
import { buildSeq2Seq } from '../../models/seq2seq.js';
import { buildCachedDecoder } from '../../models/seq2seq-cached.js';
import type { Model } from '../../onnx/ir.js';
import { renameValues } from '../../onnx/passes/rename.js';
import { Rng } from '../../util/rng.js';
import type { ExportSpec } from '../spec.js';

function renameOutput(model: Model, from: string, to: string): Model {
  return { ...model, graph: renameValues(model.graph, { mapping: new Map([[from, to]]) }).graph };
}

const encoder = (config: TransformerConfig) =>
  buildSeq2Seq(config, { rng: Rng.seeded(0), head: 'encoder', dropout: false }).model;

export const translationExport: ExportSpec = {
  family: 'marian',
  graphs: (config, bake) => [
    ['encoder_model.onnx', renameOutput(bake(encoder(config)), 'encoder_hidden_states', 'last_hidden_state')],
    ['decoder_model.onnx', bake(buildCachedDecoder(config, { rng: Rng.seeded(0), withPast: false }).model)],
    [
      'decoder_with_past_model.onnx',
      bake(buildCachedDecoder(config, { rng: Rng.seeded(0), withPast: true }).model),
    ],
  ],
  params: (config) => buildSeq2Seq(config, { rng: Rng.seeded(0), head: 'loss', dropout: false }).params,
  hfFiles: (config, special) => ({
    'config.json': marianConfig(config, special),
    'generation_config.json': {
      bos_token_id: special.bos,
      eos_token_id: special.eos,
      pad_token_id: special.pad,
      decoder_start_token_id: special.bos,
      max_length: config.maxLength,
      num_beams: 1,
    },
  }),
};
