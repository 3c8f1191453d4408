/**
 * The `export-and-compress` command, built apart from its bin script (src/cli/export-and-compress.ts) so tests
 * can inspect its flags without running it.
 */
import { Command } from 'commander';
import { packageVersion } from '../../util/version.js';
import { action } from '../errors.js';
import { ProgressBar } from '../progress.js';
import { addCompressOptions, type CompressFlags, renderReport, runCompress } from './compress-options.js';

export function exportAndCompressCommand(): Command {
  return addCompressOptions(
    new Command('export-and-compress')
      .description(
        'Export a trained TLC run (or take a model folder or any ONNX model) to a Hugging Face / Optimum model folder and ' +
          'derive compressed variants by graph rewrites: magnitude pruning (prune:S), structured pruning (heads:F, ffn:F), ' +
          'dynamic int8, static int8, weight-only 4/8-bit (q4, q8), fp16. Each variant is validated in ONNX Runtime and ' +
          'measured: size, sparsity, output drift against fp32, latency, and with --eval-data MLM accuracy (fill-mask) or BLEU and chrF (translation).',
      )
      .version(packageVersion())
      .argument(
        '<source>',
        'a run folder (or checkpoint) from `tlc train`, a model folder, or an .onnx file',
      ),
    'many',
  )
    .addHelpText(
      'after',
      "\nExamples:\n  export-and-compress runs/mlm-large --out models/mlm-large --recipe int8 --recipe prune:0.5+int8 --recipe heads:0.25+ffn:0.5+int8 --recipe q4\n  export-and-compress model.onnx --out out/ --recipe int8 --eval-data held-out.txt --max-accuracy-drop 1\n  export-and-compress runs/enfr-small --out models/enfr-small --recipe int8 --eval-data held-out.tsv --max-accuracy-drop 2\n  export-and-compress models/bert --out models/bert-pruned --recipe prune:0.5 --prune-exclude 'blocks.0.*'\n",
    )
    .action(
      action(async (source: string, flags: CompressFlags) => {
        const bar = new ProgressBar();
        const report = await runCompress(source, flags.recipe ?? ['int8'], flags, (m) => bar.log(m));
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
      }),
    );
}
