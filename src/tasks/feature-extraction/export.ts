/**
 * An MLM run exported as a sentence-embedding model (`tlc export <mlm run> --as feature-extraction`): the encoder
 * without its vocabulary head (`onnx/model.onnx`: input_ids, attention_mask → last_hidden_state), config.json as
 * RobertaModel, and sentence-transformers' modules.json with mean pooling and Normalize — what a
 * sentence-transformers folder holds, so the task serves and scores it like one brought from elsewhere.
 */
import { robertaConfig } from '../../model-folder/hf-config.js';
import { buildTokenStates } from '../../models/token-states.js';
import { Rng } from '../../util/rng.js';
import type { ExportSpec } from '../spec.js';

const states = (config: Parameters<typeof buildTokenStates>[0]) =>
  buildTokenStates(config, { rng: Rng.seeded(0) });

export const embeddingExport: ExportSpec = {
  family: 'roberta',
  graphs: (config, bake) => [['model.onnx', bake(states(config).model)]],
  params: (config) => states(config).params,
  hfFiles: (config, special) => ({
    'config.json': { ...robertaConfig(config, special), architectures: ['RobertaModel'] },
    'modules.json': [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ],
    '1_Pooling/config.json': {
      word_embedding_dimension: config.dModel,
      pooling_mode_cls_token: false,
      pooling_mode_mean_tokens: true,
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
    },
  }),
};
