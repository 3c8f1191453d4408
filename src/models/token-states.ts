/**
 * TLC's encoder without a head: input_ids, attention_mask → last_hidden_state [batch, sequence, D], the graph a
 * Hugging Face `RobertaModel` export has. Its parameters are named as the MLM encoder's, so an MLM checkpoint bakes
 * into it as it is (its vocabulary head is left out): a sentence-embedding model once pooled (feature extraction).
 */
import type { Rng } from '../util/rng.js';
import type { TransformerConfig } from './config.js';
import { createModelContext } from './context.js';
import { type BuiltModel, encodedTokens } from './encoder.js';

export function buildTokenStates(config: TransformerConfig, options: { readonly rng: Rng }): BuiltModel {
  const m = createModelContext(config, options.rng, { training: false, dropout: false });
  const { states } = encodedTokens(m);
  const named = m.b.op('Identity', [states], {}, { name: 'token_states', outputs: ['last_hidden_state'] });
  m.b.output(named, { elemType: m.floatType, shape: ['batch', 'sequence', config.dModel] });
  return { model: m.b.toModel(), params: m.params, dropoutSites: m.dropoutSites };
}
