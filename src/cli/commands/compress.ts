/** `tlc compress <source> <recipe>`: export-and-compress for one recipe. */
import type { Command } from 'commander';
import { action } from '../errors.js';
import { ProgressBar } from '../progress.js';
import { addCompressOptions, type CompressFlags, renderReport, runCompress } from './compress-options.js';

export function registerCompress(program: Command): void {
  addCompressOptions(
    program
      .command('compress')
      .description(
        'compress a run, a model folder or an .onnx file with one recipe (see export-and-compress for several)',
      )
      .argument('<source>', 'a run folder, a model folder or an .onnx file')
      .argument('<recipe>', 'e.g. int8, prune:0.5+int8, heads:0.25+ffn:0.5+int8, q4'),
    'one',
  ).action(
    action(async (source: string, recipe: string, flags: CompressFlags) => {
      const bar = new ProgressBar();
      const report = await runCompress(source, [recipe], flags, (m) => bar.log(m));
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    }),
  );
}
