/** The raw-tensor path's bound on rows in flight per variant: over it is QUEUE_FULL (429), and rows come back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawAdmission } from '../../src/server/raw-admission.js';

describe('RawAdmission', () => {
  it('refuses rows over the bound with QUEUE_FULL and Retry-After, and frees them when work ends', async () => {
    const admission = new RawAdmission(10);
    let release!: () => void;
    const held = admission.run('m/fp32', 8, () => new Promise<void>((r) => (release = r)));
    await assert.rejects(
      admission.run('m/fp32', 3, async () => 1),
      (e: Error & { code?: string; retryAfterSeconds?: number }) =>
        e.code === 'QUEUE_FULL' && e.retryAfterSeconds === 1,
    );
    assert.equal(await admission.run('m/int8', 3, async () => 'other variant'), 'other variant');
    assert.equal(await admission.run('m/fp32', 2, async () => 'fits'), 'fits');
    release();
    await held;
    assert.equal(await admission.run('m/fp32', 10, async () => 'after'), 'after');
    await assert.rejects(
      admission.run('m/fp32', 1, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(
      await admission.run('m/fp32', 10, async () => 'freed after a failure'),
      'freed after a failure',
    );
  });
});
