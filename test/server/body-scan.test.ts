import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BodyRejected,
  bodyBounds,
  checkJsonBody,
  MAX_JSON_DEPTH,
  scanJson,
} from '../../src/server/body-scan.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const loose = { maxDepth: 1000, maxItems: 1e9 };

describe('JSON body scan', () => {
  it('counts depth and items as JSON.parse would see them, strings and escapes skipped', () => {
    const text = '{"a": [1, {"b": [[2, 3]]}], "s": "x,[{\\"],{", "t": "\\\\"}';
    const parsed = JSON.parse(text) as unknown; // the scan must agree with a real parser on what a string is
    assert.ok(parsed);
    assert.deepEqual(scanJson(bytes(text), loose), { depth: 5, items: 4 });
    assert.deepEqual(scanJson(bytes('[]'), loose), { depth: 1, items: 0 });
    assert.deepEqual(scanJson(bytes('7'), loose), { depth: 0, items: 0 });
  });

  it('refuses deep nesting (400) and too many values (413) before parsing', () => {
    const deep = bytes(`{"data":${'['.repeat(400_000)}${']'.repeat(400_000)}}`);
    assert.throws(
      () => checkJsonBody(deep, bodyBounds(64, 128)),
      (e: unknown) => e instanceof BodyRejected && e.tlc.code === 'REQUEST_INVALID' && e.tlc.status === 400,
    );
    assert.equal(scanJson(deep, bodyBounds(64, 128)).depth, MAX_JSON_DEPTH + 1);
    const tensor = (rows: number) =>
      bytes(JSON.stringify({ inputs: [{ name: 'input_ids', data: Array(rows * 128).fill(5) }] }));
    assert.doesNotThrow(() => checkJsonBody(tensor(64), bodyBounds(64, 128)));
    assert.throws(
      () => checkJsonBody(tensor(1024), bodyBounds(64, 128)),
      (e: unknown) => e instanceof BodyRejected && e.tlc.code === 'INPUT_TOO_LARGE',
    );
  });
});
