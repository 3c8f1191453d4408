/**
 * The interleaved timing harness's bookkeeping (not its speed: speed goals live in the benchmarks): warm-up
 * runs first, every round runs every contestant once in a rotating order, the reference's speed-up is exactly
 * one, and the speed-ups are medians of per-round ratios.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeInterleaved } from '../../src/ort/timing.js';

describe('timeInterleaved', () => {
  it('warms up, then rotates the order every round', async () => {
    const calls: string[] = [];
    const contestant = (name: string) => ({
      name,
      run: async () => {
        calls.push(name);
      },
    });
    const results = await timeInterleaved([contestant('a'), contestant('b'), contestant('c')], {
      warmup: 1,
      minRounds: 3,
      maxRounds: 3,
    });
    assert.deepEqual(calls.slice(0, 3), ['a', 'b', 'c']);
    assert.deepEqual(calls.slice(3), ['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
    assert.deepEqual(
      results.map((r) => [r.name, r.times.length, r.latency.runs]),
      [
        ['a', 3, 3],
        ['b', 3, 3],
        ['c', 3, 3],
      ],
    );
    assert.deepEqual(results[0]!.speedup, { median: 1, q25: 1, q75: 1 });
  });

  it('reports the median of per-round ratios to the reference', async () => {
    // Busy work in fixed proportions: b does about a quarter of a's work, so its ratio is well above 1.
    const spin = (n: number) => async () => {
      let x = 0;
      for (let i = 0; i < n; i++) x += Math.sqrt(i);
      if (x < 0) throw new Error('unreachable');
    };
    const [a, b] = await timeInterleaved(
      [
        { name: 'a', run: spin(2_000_000) },
        { name: 'b', run: spin(500_000) },
      ],
      { warmup: 1, minRounds: 5, maxRounds: 5 },
    );
    const ratios = a!.times.map((t, r) => t / b!.times[r]!).sort((x, y) => x - y);
    assert.equal(b!.speedup.median, ratios[2]);
    assert.ok(b!.speedup.q25 <= b!.speedup.median && b!.speedup.median <= b!.speedup.q75);
  });
});
