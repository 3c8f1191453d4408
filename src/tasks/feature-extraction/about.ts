/**
 * The feature-extraction task's names, detection, metrics and console view (src/tasks/about.ts): sentence
 * embedding models (sentence-transformers folders: a `*Model` export with `last_hidden_state` and its pooling
 * modules, or a graph that outputs `sentence_embedding` itself).
 */
import type { TaskAbout } from '../about.js';

export const featureExtractionAbout = {
  name: 'feature-extraction',
  route: 'feature-extraction',
  // POST /v1/embeddings (OpenAI's request and response) answers with this task's models.
  openai: ['embeddings'],
  detect: {
    // BertModel, MPNetModel, XLMRobertaModel…; not a causal LM's *LMHeadModel.
    architectures: [/(?<!LMHead)Model$/, /ForFeatureExtraction$/],
    layout: 'single',
    graph: (f) =>
      f.layout === 'single' && f.outputs.includes('sentence_embedding')
        ? 'sentence_embedding output'
        : f.layout === 'single' && f.outputs.includes('last_hidden_state') && !f.outputs.includes('logits')
          ? 'last_hidden_state output, no logits'
          : undefined,
  },
  metrics: [
    // Without labels: how each variant's embeddings keep fp32's (on --eval-data sentences).
    { key: 'embedding_cosine', label: 'cosine to fp32', points: 100, higherIsBetter: true, digits: 5 },
    { key: 'recall_at_10', label: 'recall@10 of fp32', points: 100, higherIsBetter: true, digits: 4 },
  ],
  console: {
    // The playground ranks the lines after the first by cosine to it.
    example:
      'Who may vote in elections?\nThe people of the United States have the right to vote.\nThe whale swam under the boat.\nCongress shall have the power to lay and collect taxes.',
    answer: { kind: 'vector' },
  },
} as const satisfies TaskAbout;
