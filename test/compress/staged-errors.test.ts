/**
 * Compression runs in a staging folder that a failure deletes, so its errors name the final --out instead
 * (issue 28): a path in `.NAME.PID.tmp` would point the user at nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../src/compress/compress.js';
import { parseRecipe } from '../../src/compress/recipe.js';
import { namingFinalPath } from '../../src/compress/staged-errors.js';
import { TlcError } from '../../src/errors/index.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../helpers/foreign.js';

const root = mkdtempSync(join(tmpdir(), 'tlc-staged-errors-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('compress errors name --out, not the staging folder', () => {
  it('rewrites every mention of the staging folder, keeping the code and the cause', () => {
    const original = new TlcError(
      'ONNX_READ_FAILED',
      '/m/.out.12.tmp/a.onnx: cannot read (open /m/.out.12.tmp/a.onnx)',
    );
    const renamed = namingFinalPath(original, '/m/.out.12.tmp', 'models/out');
    assert.ok(renamed instanceof TlcError);
    assert.equal(renamed.code, 'ONNX_READ_FAILED');
    assert.equal(renamed.message, 'models/out/a.onnx: cannot read (open models/out/a.onnx)');
    assert.equal(renamed.cause, original);
    const plain = namingFinalPath(new Error('boom in /m/.out.12.tmp'), '/m/.out.12.tmp', 'out');
    assert.equal((plain as Error).message, 'boom in out');
    const other = new TlcError('CLI_USAGE', 'nothing staged here');
    assert.equal(namingFinalPath(other, '/m/.out.12.tmp', 'out'), other);
  });

  it('a model folder whose graph went missing fails naming --out', async () => {
    const source = writeForeignFolder(join(root, 'bert'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    const options = { recipes: [parseRecipe('int8')], threads: 1, batch: 2, sequence: 16, latency: false };
    const first = join(root, 'first');
    await compress(source, first, options);
    // tlc.json still lists model.onnx: reading it from the copy in the staging folder fails.
    rmSync(join(first, 'model.onnx'));
    const out = join(root, 'second');
    await assert.rejects(compress(first, out, options), (error: Error) => {
      assert.doesNotMatch(error.message, /\.tmp/);
      assert.ok(error.message.includes(join(out, 'model.onnx')), error.message);
      return true;
    });
  });
});
