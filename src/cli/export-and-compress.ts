#!/usr/bin/env node
/**
 * `export-and-compress`: a TLC run, a model folder or any .onnx file → a model folder with compressed variants
 * (model_int8.onnx, model_pruned50_int8.onnx, model_q4.onnx, …), each validated and measured, plus report.json.
 */
import { Command } from 'commander';
import { packageVersion } from '../util/version.js';
import {
  addCompressOptions,
  type CompressFlags,
  renderReport,
  runCompress,
} from './commands/compress-options.js';
import { action } from './errors.js';
import { ProgressBar } from './progress.js';

const program = addCompressOptions(
  new Command('export-and-compress')
    .description(
      'Export a trained TLC run (or take a model folder or any ONNX model) to a Hugging Face / Optimum model folder and ' +
        'derive compressed variants by graph rewrites: magnitude pruning (prune:S), structured pruning (heads:F, ffn:F), ' +
        'dynamic int8, static int8, weight-only 4/8-bit (q4, q8), fp16. Each variant is validated in ONNX Runtime and ' +
        'measured: size, sparsity, output drift against fp32, latency, and with --eval-data MLM accuracy (fill-mask) or BLEU and chrF (translation).',
    )
    .version(packageVersion())
    .argument('<source>', 'a run folder (or checkpoint) from `tlc train`, a model folder, or an .onnx file'),
  'many',
)
  .addHelpText(
    'after',
    '\nExamples:\n  export-and-compress runs/mlm-large --out models/mlm-large --recipe int8 --recipe prune:0.5+int8 --recipe heads:0.25+ffn:0.5+int8 --recipe q4\n  export-and-compress model.onnx --out out/ --recipe int8 --eval-data held-out.txt --max-accuracy-drop 1\n  export-and-compress runs/enfr-small --out models/enfr-small --recipe int8 --eval-data held-out.tsv --max-accuracy-drop 2\n',
  )
  .action(
    action(async (source: string, flags: CompressFlags) => {
      const bar = new ProgressBar();
      const report = await runCompress(source, flags.recipe ?? ['int8'], flags, (m) => bar.log(m));
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    }),
  );

await program.parseAsync(process.argv);
