/** The error catalog: unique codes, valid statuses, every code documented in docs/errors.md. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CATALOG, type ErrorCode, TlcError } from '../src/errors/index.js';

describe('error catalog', () => {
  const codes = Object.keys(ERROR_CATALOG) as ErrorCode[];

  it('has upper-case codes with HTTP statuses and summaries', () => {
    for (const code of codes) {
      assert.match(code, /^[A-Z][A-Z0-9_]+$/);
      const { status, summary } = ERROR_CATALOG[code];
      assert.ok(status >= 400 && status < 600, `${code}: status ${status}`);
      assert.ok(summary.length > 10, `${code}: summary`);
    }
  });

  it('documents every code, and documents no code that does not exist', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)].map(
      (m) => [m[1]!, Number(m[2])] as const,
    );
    assert.deepEqual(documented.map(([c]) => c).sort(), [...codes].sort());
    for (const [code, status] of documented)
      assert.equal(status, ERROR_CATALOG[code as ErrorCode].status, code);
  });

  it('serialises as the HTTP error body', () => {
    const e = new TlcError('ONNX_READ_FAILED', 'x.onnx: cannot read');
    assert.equal(e.status, 400);
    assert.deepEqual(e.toJSON(), { error: { code: 'ONNX_READ_FAILED', message: 'x.onnx: cannot read' } });
    assert.ok(e instanceof Error);
  });
});
