/**
 * The compression options a user can reach: every option of CompressOptions (and of the recipe context and the
 * passes, through COMPRESS_OPTION_FLAGS / PASS_OPTION_ROUTES, which fail type-checking on an option without a
 * row) has its flag registered with help text on both `export-and-compress` and `tlc compress`; the prune
 * filters are validated and, run as users run them, leave the named weights dense.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerCompress } from '../../src/cli/commands/compress.js';
import {
  COMPRESS_OPTION_FLAGS,
  type CompressOptionRow,
  type FlagRow,
  PASS_OPTION_ROUTES,
  type PassOptionRow,
} from '../../src/cli/commands/compress-option-table.js';
import { pruneGlobs, runCompress } from '../../src/cli/commands/compress-options.js';
import { exportAndCompressCommand } from '../../src/cli/commands/export-and-compress-command.js';
import { decodeSparseWeights } from '../../src/compress/prune/sparse-decode.js';
import { loadModel } from '../../src/onnx/io.js';
import { tensorToNumbers } from '../../src/onnx/tensor-values.js';
import { exportAndCompress } from '../helpers/compress-cli.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-compress-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const isFlag = (row: CompressOptionRow): row is FlagRow => 'flag' in row;

function compressCommand(): Command {
  const program = new Command('tlc');
  registerCompress(program);
  const command = program.commands.find((c) => c.name() === 'compress');
  assert.ok(command, 'tlc compress is registered');
  return command;
}

describe('compression options reachable from the CLI', () => {
  const commands = { 'export-and-compress': exportAndCompressCommand(), 'tlc compress': compressCommand() };

  it('registers every CompressOptions flag, with help text, on both commands', () => {
    const rows = Object.entries(COMPRESS_OPTION_FLAGS) as [string, CompressOptionRow][];
    assert.ok(rows.filter(([, r]) => isFlag(r)).length >= 27);
    for (const [name, command] of Object.entries(commands)) {
      for (const [key, row] of rows) {
        if (!isFlag(row)) {
          assert.ok(row.notUser.length > 10, `${key}: say why it is not a user option`);
          continue;
        }
        if (name === 'tlc compress' && row.compressArgument !== undefined) {
          const arg = command.registeredArguments.find((a) => a.name() === row.compressArgument);
          assert.ok(arg?.description, `${name}: <${row.compressArgument}> argument with help (${key})`);
          continue;
        }
        const option = command.options.find((o) => o.long === row.flag);
        assert.ok(option, `${name} lacks ${row.flag} (CompressOptions.${key})`);
        assert.ok(option.description.length > 10, `${name} ${row.flag} has no help text`);
      }
    }
  });

  it('routes every recipe-context and pass option: a flag that exists, the recipe, or a reason', () => {
    const gaps: string[] = [];
    for (const [pass, table] of Object.entries(PASS_OPTION_ROUTES)) {
      for (const [key, row] of Object.entries(table) as [string, PassOptionRow][]) {
        if ('via' in row) {
          const via: readonly (keyof typeof COMPRESS_OPTION_FLAGS)[] =
            typeof row.via === 'string' ? [row.via] : row.via;
          for (const v of via) assert.ok(isFlag(COMPRESS_OPTION_FLAGS[v]), `${pass}.${key} via ${v}`);
        } else if ('gap' in row) gaps.push(`${pass}.${key}`);
        else {
          const text = 'recipe' in row ? row.recipe : row.fixed;
          assert.ok(text.length > 1, `${pass}.${key}: say how it is set`);
        }
      }
    }
    // Issue 28 closed every gap: each option is a flag, the recipe, or fixed with its reason. A new option
    // that a user should reach but the CLI does not is a `gap` row, and fails here until it gets its flag.
    assert.deepEqual(gaps, []);
  });

  it('validates the prune globs', async () => {
    assert.equal(pruneGlobs(undefined, '--prune-include'), undefined);
    assert.deepEqual(pruneGlobs(['blocks.0.*', 'head.?eight'], '--prune-exclude'), [
      'blocks.0.*',
      'head.?eight',
    ]);
    assert.throws(() => pruneGlobs([' '], '--prune-exclude'), /CLI_USAGE|--prune-exclude takes/);
    assert.throws(() => pruneGlobs(['/blocks\\.0/'], '--prune-include'), /not a regular expression/);
    const flags = {
      out: join(dir, 'never'),
      calibration: 'minmax',
      device: 'cpu',
      threads: '1',
      batch: '2',
      sequence: '16',
      latency: false,
      pruneExclude: ['blocks.0.*'],
    };
    await assert.rejects(
      runCompress(TORCH_BERT, ['int8'], flags, () => {}),
      /no recipe has one \(int8\)/,
    );
  });

  it('export-and-compress --recipe prune:0.5 --prune-exclude leaves the named weights dense', () => {
    const source = writeForeignFolder(join(dir, 'bert'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    const out = join(dir, 'bert-pruned');
    // PyTorch names the BERT fixture's projections by their MatMul: 323 and 327–329 are block 0's attention,
    // 330 its first FFN layer.
    const args = ['--recipe', 'prune:0.5', '--prune-exclude', 'onnx::MatMul_32*'];
    const result = exportAndCompress(source, out, [
      ...args,
      '--prune-exclude',
      'onnx::MatMul_330',
      '--prune-exclude',
      'blocks.0.*',
    ]);
    assert.equal(result.status, 0, result.stderr);
    // The fixture's weights are named by their MatMul, not by block: that glob kept nothing dense, and is said.
    assert.match(result.stderr, /warning: --prune-exclude 'blocks\.0\.\*' matched no weight/);
    assert.doesNotMatch(result.stderr, /--prune-exclude 'onnx::MatMul_330' matched no weight/);
    const model = loadModel(join(out, 'model_pruned50.onnx'));
    const graph = decodeSparseWeights(model.graph).graph;
    const sparsity = (name: string) => {
      const tensor = graph.initializers.get(name);
      assert.ok(tensor, `${name} in the pruned model`);
      const values = tensorToNumbers(tensor);
      return values.filter((v) => v === 0).length / values.length;
    };
    for (const name of ['onnx::MatMul_323', 'onnx::MatMul_327', 'onnx::MatMul_329', 'onnx::MatMul_330'])
      assert.equal(sparsity(name), 0, `${name} excluded, so dense`);
    // The rest of the scope carries the pruning (0.5 over fewer tensors, one global threshold).
    for (const name of ['onnx::MatMul_331', 'onnx::MatMul_336', 'onnx::MatMul_340'])
      assert.ok(sparsity(name) > 0.2, `${name} pruned: ${sparsity(name)}`);
  });
});
