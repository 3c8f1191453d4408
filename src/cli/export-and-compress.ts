#!/usr/bin/env node
/**
 * `export-and-compress`: checkpoint or ONNX model → model folder with compressed variants and a report.
 * The compression passes land with their own issue; until then the command explains what it will do and
 * refuses to run rather than pretending.
 */
import { Command } from 'commander';
import { TlcError } from '../errors/index.js';
import { action } from './errors.js';
import { packageVersion } from './version.js';

const program = new Command('export-and-compress')
  .description(
    'Export a trained TLC checkpoint (or take any ONNX model) to a Hugging Face / Optimum model folder and ' +
      'derive compressed variants by graph rewrites: magnitude and structured pruning, dynamic and static int8, ' +
      'weight-only 8/4-bit (MatMulNBits), fp16; then write a validation report of size, accuracy and latency.',
  )
  .version(packageVersion())
  .argument('<source>', 'a TLC checkpoint folder or an .onnx model')
  .argument('<out-dir>', 'model folder to write')
  .action(
    action(() => {
      throw new TlcError(
        'CLI_USAGE',
        'compression passes are not available in this version of TLC; use `tlc convert` for a faithful round trip',
      );
    }),
  );

await program.parseAsync(process.argv);
