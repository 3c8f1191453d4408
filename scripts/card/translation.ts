/** The model card of an English→French translation model. */
import { type CardRow, cell, num } from './row.js';

export const TRANSLATION_EXAMPLES: readonly string[] = [
  'Allah is Knowing and Wise.',
  'Indeed, Allah is Forgiving and Merciful.',
  'And We sent to them a messenger from among themselves.',
  'They said, "Our Lord, forgive us our sins."',
  'To Allah belongs the dominion of the heavens and the earth.',
];

export const translationCard: CardRow = {
  intro: () => 'An English→French translation model',
  data: () =>
    'English→French verse pairs of the Quran from the npm package `quran-json` by Risan Bagja Pradana (https://github.com/risan/quran-json): English by Saheeh International, French by Muhammad Hamidullah, sourced from tanzil.net; split into train / validation / test by a hash of each verse. **Licence:** `quran-json` declares CC BY 4.0 in its package.json and ships a CC BY-SA 4.0 licence file; this model is a derived work credited under the stricter CC BY-SA 4.0. tanzil.net distributes the translations for non-commercial use, and this model inherits that restriction.',
  architecture:
    'Transformer encoder-decoder (Marian layout), shared source/target vocabulary, tied embeddings, label smoothing 0.1',
  layersSuffix: ' each side',
  testLine: (test) =>
    `BLEU **${num(test.bleu, 2)}**, chrF **${num(test.chrf, 2)}** (greedy decoding, sacreBLEU 13a tokenisation, corpus level), perplexity ${num(test.perplexity, 1)}, over ${test.sentences} verses`,
  scoring: ' (first 200 verses, greedy)',
  latencyUnit: 'the encoder',
  latencyExtra: ' (`tlc bench` times whole translations: encoder plus one cached decoder step per token)',
  columns: ['BLEU', 'chrF'],
  cells: (v) => [num(v.metrics?.bleu, 2), num(v.metrics?.chrf, 2)],
  headline: (v) => v.metrics?.bleu,
  metric: 'BLEU',
  show: (x) => num(x, 2),
  async examples(name, _run, post) {
    const answer = (await post('translate', {
      inputs: [...TRANSLATION_EXAMPLES],
      parameters: { num_beams: 4, max_new_tokens: 64 },
    })) as { translation_text: string }[];
    const rows = TRANSLATION_EXAMPLES.map(
      (text, i) => `| ${cell(text)} | ${cell(answer[i]!.translation_text)} |`,
    );
    return `## Examples

\`POST /v1/models/${name}/translate\` (fp32 variant, beam search with 4 beams):

| English | French |
| --- | --- |
${rows.join('\n')}
`;
  },
};
