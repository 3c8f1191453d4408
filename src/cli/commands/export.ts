/** `tlc export <run> --out DIR`: a trained run as a Hugging Face / Optimum model folder. */
import type { Command } from 'commander';
import { exportRun } from '../../export/export-run.js';
import { action } from '../errors.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'export a trained run (its best checkpoint) as a Hugging Face / Optimum model folder with tlc.json',
    )
    .argument('<run>', 'a run folder written by `tlc train`, or a checkpoint file in one')
    .requiredOption('--out <dir>', 'model folder to write (atomically)')
    .option('--force', 'replace the folder if it exists')
    .option(
      '--as <task>',
      "export as another task: feature-extraction turns an MLM run into a sentence-embedding model (its encoder's token states, mean pooling and Normalize as sentence-transformers folders name them)",
    )
    .action(
      action(async (run: string, flags: { out: string; force?: boolean; as?: string }) => {
        const result = await exportRun(run, flags.out, {
          force: flags.force ?? false,
          ...(flags.as !== undefined && { as: flags.as }),
        });
        process.stdout.write(
          `${JSON.stringify({ dir: result.dir, task: result.tlc.task, files: result.tlc.variants[0]?.files }, null, 2)}\n`,
        );
      }),
    );
}
