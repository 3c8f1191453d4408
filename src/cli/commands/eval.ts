/** `tlc eval <run-dir | checkpoint>`: metrics on the test split, as JSON. */
import type { Command } from 'commander';
import { SPLITS, type Split } from '../../data/index.js';
import { TlcError } from '../../errors/index.js';
import { evaluateRun } from '../../train/run/eval-run.js';
import { action } from '../errors.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'evaluate a trained run on its test split: MLM accuracy and perplexity (beside two baselines: unigram perplexity and the accuracy of counting the two neighbouring tokens), or BLEU / chrF and perplexity',
    )
    .argument('<target>', 'a run folder (its best checkpoint is used) or a checkpoint file in one')
    .option('--split <split>', 'test | validation | train', 'test')
    .option('--max-tokens <n>', 'evaluate at most this many MLM tokens')
    .option('--threads <n>', 'ONNX Runtime intra-op threads')
    .action(
      action(async (target: string, flags: { split: string; maxTokens?: string; threads?: string }) => {
        if (!(SPLITS as readonly string[]).includes(flags.split))
          throw new TlcError('CLI_USAGE', `--split must be one of ${SPLITS.join(', ')}`);
        const report = await evaluateRun(target, {
          split: flags.split as Split,
          ...(flags.maxTokens !== undefined && { maxTokens: Number(flags.maxTokens) }),
          ...(flags.threads !== undefined && { threads: Number(flags.threads) }),
        });
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      }),
    );
}
