/** `tlc convert <in> <out>`: a round trip through the ONNX core, optionally to external data and cleaned up. */
import type { Command } from 'commander';
import { TlcError } from '../../errors/index.js';
import { loadModel, saveModel } from '../../onnx/io.js';
import { cleanup } from '../../onnx/passes/cleanup.js';
import { applyToModel } from '../../onnx/passes/pass.js';
import { createSession } from '../../ort/session.js';
import { formatBytes } from '../../util/format.js';
import { action } from '../errors.js';

interface ConvertOptions {
  externalData?: boolean;
  location?: string;
  threshold?: string;
  cleanup?: boolean;
  validate: boolean;
  verbose?: boolean;
}

function parseThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TlcError('CLI_USAGE', `--threshold must be a byte count, got "${text}"`);
  return n;
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description(
      'read and rewrite an ONNX model through TLC (a faithful round trip unless --cleanup is given)',
    )
    .argument('<input>', 'source .onnx file')
    .argument('<output>', 'destination .onnx file (written atomically)')
    .option(
      '--external-data',
      'store initializers of at least --threshold bytes in a side file (<output>_data)',
    )
    .option('--location <name>', 'side-file name for --external-data, relative to the output folder')
    .option('--threshold <bytes>', 'smallest initializer moved to external data (default 1024)')
    .option(
      '--cleanup',
      'merge duplicate constants, remove dead nodes and unused initializers, sort topologically',
    )
    .option('--no-validate', 'skip loading the result in ONNX Runtime')
    .option('-v, --verbose', 'list every clean-up change')
    .action(
      action(async (input: string, output: string, options: ConvertOptions) => {
        const threshold = parseThreshold(options.threshold);
        let model = loadModel(input);
        const before = model.graph.nodes.length;
        if (options.cleanup) {
          const result = applyToModel(model, cleanup, {});
          model = result.model;
          const applied = result.changes.filter((c) => c.kind === 'applied');
          process.stdout.write(
            `cleanup: ${applied.length} change(s), nodes ${before} → ${model.graph.nodes.length}\n`,
          );
          if (options.verbose) {
            for (const c of result.changes)
              process.stdout.write(`  ${c.kind} ${c.pass} ${c.target}: ${c.detail}\n`);
          }
        }
        const saved = saveModel(model, output, {
          externalData: options.externalData ? true : 'auto',
          ...(options.location !== undefined && { location: options.location }),
          ...(threshold !== undefined && { threshold }),
        });
        process.stdout.write(`wrote ${saved.path} (${formatBytes(saved.bytes)})\n`);
        if (saved.externalData) {
          const { path, bytes, tensors } = saved.externalData;
          process.stdout.write(`wrote ${path} (${formatBytes(bytes)}, ${tensors} tensors)\n`);
        }
        if (options.validate) {
          const session = await createSession(output, { source: output });
          await session.release();
          process.stdout.write('ONNX Runtime loads the result\n');
        }
      }),
    );
}
