/** `tlc eval <run-dir | checkpoint>`: metrics on the test split, as JSON. */
import type { Command } from 'commander';
import { SPLITS, type Split } from '../../data/index.js';
import { evaluateRun } from '../../train/run/eval-run.js';
import { action } from '../errors.js';
import { choiceFlag, integerFlag } from '../flags.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'evaluate a trained run on its test split: MLM accuracy and perplexity (beside two baselines: unigram perplexity and the accuracy of counting the two neighbouring tokens); BLEU / chrF and perplexity; or a classifier’s accuracy and macro-F1 (beside naive Bayes on the same texts; the confusion matrix goes to confusion-<split>.json in the run folder)',
    )
    .argument('<target>', 'a run folder (its best checkpoint is used) or a checkpoint file in one')
    .option('--split <split>', 'test | validation | train', 'test')
    .option('--max-tokens <n>', 'evaluate at most this many MLM tokens')
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .action(
      action(async (target: string, flags: { split: string; maxTokens?: string; threads?: string }) => {
        const report = await evaluateRun(target, {
          split: choiceFlag<Split>(flags.split, SPLITS, '--split'),
          ...(flags.maxTokens !== undefined && { maxTokens: integerFlag(flags.maxTokens, '--max-tokens') }),
          ...(flags.threads !== undefined && { threads: integerFlag(flags.threads, '--threads') }),
        });
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      }),
    );
}
