/** The console's frontier, computed in Node: the Pareto set, the ticks, and one mark per point in the SVG. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frontierSvg, type Point, paretoFrontier, ticks } from '../../src/console/frontier.js';

const point = (variant: string, x: number, y: number, baseline = false): Point => ({
  model: variant.split('/')[0]!,
  variant,
  recipe: variant,
  x,
  y,
  baseline,
});

describe('console frontier', () => {
  const points = [
    point('large/fp32', 40, 35),
    point('large/int8', 20, 34.9),
    point('large/q4', 45, 34),
    point('small/fp32', 8, 30, true),
    point('small/int8', 5, 29),
    point('small/pruned', 6, 28),
  ];

  it('keeps exactly the points that nothing is both faster and better than, by x', () => {
    assert.deepEqual(
      paretoFrontier(points).map((p) => p.variant),
      ['small/int8', 'small/fp32', 'large/int8', 'large/fp32'],
    );
    // A tie on x keeps the better one only.
    assert.deepEqual(
      paretoFrontier([point('a/x', 1, 1), point('a/y', 1, 2)]).map((p) => p.variant),
      ['a/y'],
    );
  });

  it('draws one mark per point, the baseline as a square, and escapes labels', () => {
    const svg = frontierSvg([...points, point('<b>/x', 30, 20)], { x: 'ms', y: 'accuracy' });
    assert.equal(svg.match(/class="mark/g)?.length, 7);
    assert.equal(svg.match(/<rect class="mark baseline"/g)?.length, 1);
    assert.equal(svg.match(/class="mark front"/g)?.length, 3);
    assert.ok(!svg.includes('<b>'));
    assert.match(svg, /&lt;b&gt;/);
    assert.match(frontierSvg([], { x: 'ms', y: 'accuracy' }), /No scored variants/);
  });

  it('keeps a degraded variant off the frontier without letting it push healthy points off', () => {
    // large/int8 degraded here: it would beat large/fp32 on speed and small/fp32 on score if it counted.
    const degraded: Point = { ...point('large/int8', 7, 34.9), degraded: true };
    const with_ = [...points.filter((p) => p.variant !== 'large/int8'), degraded];
    assert.deepEqual(
      paretoFrontier(with_).map((p) => p.variant),
      ['small/int8', 'small/fp32', 'large/fp32'],
    );
    // Even a degraded point that dominates everything is left off, and the healthy frontier stands.
    const best: Point = { ...point('large/q4', 1, 99), degraded: true };
    assert.deepEqual(
      paretoFrontier([...points, best]).map((p) => p.variant),
      paretoFrontier(points).map((p) => p.variant),
    );
    assert.deepEqual(paretoFrontier([best]), []);
  });

  it('draws a degraded variant hollow, grey and labelled, and a size variant labelled "(size)"', () => {
    const degraded: Point = { ...point('large/int8', 7, 34.9), degraded: true };
    const size: Point = { ...point('large/q4', 45, 34), size: true };
    const others = points.filter((p) => p.variant !== 'large/int8' && p.variant !== 'large/q4');
    const svg = frontierSvg([...others, degraded, size], { x: 'ms', y: 'accuracy' });
    assert.equal(svg.match(/class="mark/g)?.length, 6);
    const hollow = svg.match(/<circle class="mark degraded"[^>]*>/g) ?? [];
    assert.equal(hollow.length, 1);
    assert.match(hollow[0]!, /fill="none"/);
    assert.match(hollow[0]!, /stroke="#9ca3af"/);
    assert.equal(
      svg.match(/class="mark front"/g)?.length,
      2,
      'small/int8 and large/fp32; small/fp32 is the square',
    );
    assert.equal(svg.match(/<text class="note"[^>]*>degraded<\/text>/g)?.length, 1);
    assert.equal(svg.match(/<text class="note"[^>]*>\(size\)<\/text>/g)?.length, 1);
    assert.match(svg, /large\/int8 \(large\/int8\): 34\.90 at 7\.00, degraded on this server/);
    assert.match(svg, /a size variant: not faster than fp32/);
    // The frontier line runs through healthy points only: its first corner is small/int8 (x 5), not the degraded x 7.
    const path = svg.match(/<path class="frontier" d="([^"]*)"/)?.[1] ?? '';
    assert.equal(path.split(/[MHV]/).filter((s) => s.trim() !== '').length, 5, path);
  });

  it('puts round ticks over the range', () => {
    assert.deepEqual(ticks(0, 42), [0, 10, 20, 30, 40]);
    assert.deepEqual(ticks(27.5, 38.2), [30, 35]);
    assert.deepEqual(ticks(0, 0.9), [0, 0.2, 0.4, 0.6, 0.8]);
  });
});
