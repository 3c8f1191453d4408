/**
 * Large answers are written in slices (request-io.ts `sendJson`) so that serialising one does not hold the
 * main thread: the pieces must join to exactly what JSON.stringify writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonPieces } from '../../src/server/request-io.js';

describe('jsonPieces', () => {
  it('joins to JSON.stringify for the values answers hold', () => {
    const candidate = { score: 0.25, token: 7, token_str: ' é"\\', sequence: 'a\nb \u2028' };
    const values: unknown[] = [
      [[[candidate, candidate]], [[candidate]]],
      {
        model_name: 'm',
        id: undefined,
        outputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [1.5, -0] }],
      },
      [undefined, null, Number.NaN, Number.POSITIVE_INFINITY, () => 1, Symbol('s'), 'x'],
      { f: () => 1, s: Symbol('s'), d: new Date(0), nested: { deeper: [[], {}] }, n: null },
      Object.assign(Object.create(null) as object, { a: 1 }),
      [],
      {},
      'text',
      42,
      null,
      true,
    ];
    for (const value of values) assert.equal([...jsonPieces(value)].join(''), JSON.stringify(value));
  });

  it('opens arrays and objects, so no piece of a large answer is large', () => {
    const answer = Array.from({ length: 64 }, () =>
      Array.from({ length: 50 }, () => [{ token_str: 'x'.repeat(300) }]),
    );
    const pieces = [...jsonPieces(answer)];
    assert.ok(Math.max(...pieces.map((p) => p.length)) < 400);
    assert.equal(pieces.join(''), JSON.stringify(answer));
  });
});
