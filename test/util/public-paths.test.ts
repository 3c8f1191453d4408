import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { publicPaths } from '../../src/util/public-paths.js';

describe('public paths', () => {
  const root = '/srv/tlc/models';
  it('writes paths under the models folder relative to it, the folder itself as "."', () => {
    assert.equal(
      publicPaths(`${root}/bert/onnx/model_int8.onnx: not an ONNX model`, root),
      'bert/onnx/model_int8.onnx: not an ONNX model',
    );
    assert.equal(publicPaths(`${root}: empty`, root), '.: empty');
    // A sibling that merely starts with the same letters is not under the folder.
    assert.equal(publicPaths('/srv/tlc/models-old/x.onnx', root), '/srv/tlc/models-old/x.onnx');
  });

  it('hides the working and home directories; leaves URL paths alone', () => {
    assert.equal(
      publicPaths(`${join(process.cwd(), 'data', 'a.txt')} missing`, root),
      './data/a.txt missing',
    );
    assert.equal(publicPaths(`${join(homedir(), 'm')}`, root), '~/m');
    assert.equal(publicPaths('no route POST /v2/models/x/infer', root), 'no route POST /v2/models/x/infer');
  });
});
