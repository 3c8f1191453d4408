#!/usr/bin/env node
/** `tlc`: train large, then compress. One subcommand per file in ./commands. */
import { Command } from 'commander';
import { packageVersion } from '../util/version.js';
import { registerBench } from './commands/bench.js';
import { registerCompress } from './commands/compress.js';
import { registerConvert } from './commands/convert.js';
import { registerEval } from './commands/eval.js';
import { registerExport } from './commands/export.js';
import { registerInspect } from './commands/inspect.js';
import { registerServe } from './commands/serve.js';
import { registerTrain } from './commands/train.js';
import { attachToLauncher, relaunch, tunedEnvironment } from './malloc-tuning.js';

export function buildProgram(): Command {
  const program = new Command('tlc')
    .description(
      'Train large, then compress: build and train Transformers as ONNX graphs, compress them by graph ' +
        'rewrites (pruning, int8 / 4-bit quantization), serve and benchmark them on ONNX Runtime.',
    )
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)');
  registerInspect(program);
  registerConvert(program);
  registerTrain(program);
  registerEval(program);
  registerExport(program);
  registerCompress(program);
  registerServe(program);
  registerBench(program);
  program.addHelpText(
    'after',
    '\nExamples:\n  tlc inspect model.onnx\n  tlc inspect model.onnx --json\n  tlc convert model.onnx out/model.onnx --external-data --cleanup\n',
  );
  return program;
}

// Training relaunches itself once with glibc malloc settings that keep freed memory for the next step
// (malloc-tuning.ts: up to 10× faster translation steps). The launcher forwards signals and the relaunched
// child stops with it, so the PID the shell knows stops the training.
const tuned = process.argv[2] === 'train' ? tunedEnvironment(process.env, process.platform) : undefined;
if (tuned !== undefined) process.exitCode = await relaunch(tuned);
else {
  attachToLauncher();
  await buildProgram().parseAsync(process.argv);
}
