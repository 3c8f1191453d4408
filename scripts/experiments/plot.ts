/**
 * Plots of experiment results: Vega-Lite specs compiled and rendered to SVG in Node by Vega (no browser, no
 * canvas). Each plot is written twice: `<name>.svg` to look at, and `<name>.vl.json`, the spec with its data
 * inline, so a test can check that what is drawn is what the results JSON says.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One point of a series; `label` names it in tooltips and frontier tables (a variant, a preset). */
export interface Point {
  readonly x: number;
  readonly y: number;
  readonly label?: string;
}

/** A named series drawn on one plot. */
export interface Series {
  readonly name: string;
  readonly plot: string;
  readonly points: readonly Point[];
}

export interface Axis {
  readonly title: string;
  /** Logarithmic scale (for quantities spanning decades: parameters, steps). */
  readonly log?: boolean;
  /** The lower end of the axis at zero (linear axes only; default false). */
  readonly zero?: boolean;
}

export interface PlotSpec {
  readonly name: string;
  readonly title: string;
  readonly x: Axis;
  readonly y: Axis;
  /** line: points joined in x order per series; scatter: points only. */
  readonly mark: 'line' | 'scatter';
  /** Series drawn as a dashed step line over all points (the Pareto frontier). */
  readonly overlay?: Series;
}

/** The rows Vega-Lite reads: one per point, with its series. */
export function plotRows(
  series: readonly Series[],
): { series: string; x: number; y: number; label: string }[] {
  return series.flatMap((s) =>
    s.points.map((p) => ({ series: s.name, x: p.x, y: p.y, label: p.label ?? '' })),
  );
}

function axis(a: Axis, field: 'x' | 'y') {
  return {
    field,
    type: 'quantitative' as const,
    title: a.title,
    scale: a.log ? { type: 'log' as const } : { zero: a.zero ?? false },
  };
}

/** The Vega-Lite spec of one plot of `series` (those whose `plot` is the spec's name). */
export function vegaLiteSpec(spec: PlotSpec, series: readonly Series[]): TopLevelSpec {
  const mine = series.filter((s) => s.plot === spec.name);
  const encoding = {
    x: axis(spec.x, 'x'),
    y: axis(spec.y, 'y'),
    // Legend in the results' order (small to large presets), not alphabetical.
    color: { field: 'series', type: 'nominal' as const, title: null, sort: mine.map((s) => s.name) },
    tooltip: [
      { field: 'series', type: 'nominal' as const },
      { field: 'label', type: 'nominal' as const },
      { field: 'x', type: 'quantitative' as const, title: spec.x.title },
      { field: 'y', type: 'quantitative' as const, title: spec.y.title },
    ],
  };
  const points = {
    data: { values: plotRows(mine) },
    mark:
      spec.mark === 'line'
        ? { type: 'line' as const, point: true, interpolate: 'linear' as const }
        : { type: 'point' as const, filled: true, size: 60 },
    encoding:
      spec.mark === 'line' ? { ...encoding, order: { field: 'x', type: 'quantitative' as const } } : encoding,
  };
  const layers = [points];
  if (spec.overlay !== undefined)
    layers.push({
      data: { values: plotRows([spec.overlay]) },
      mark: { type: 'line' as const, point: false, interpolate: 'step-after' as const },
      encoding: {
        x: axis(spec.x, 'x'),
        y: axis(spec.y, 'y'),
        color: { value: '#444' },
        strokeDash: { value: [4, 3] },
        order: { field: 'x', type: 'quantitative' as const },
      },
    } as unknown as typeof points); // a differently typed layer of the same spec; Vega-Lite checks it at compile
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: spec.title,
    width: 480,
    height: 300,
    background: 'white',
    layer: layers,
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes `<dir>/<name>.svg` and `<dir>/<name>.vl.json`; returns the SVG's file name. */
export async function writePlot(dir: string, spec: PlotSpec, series: readonly Series[]): Promise<string> {
  const vl = vegaLiteSpec(spec, series);
  writeFileSync(join(dir, `${spec.name}.vl.json`), `${JSON.stringify(vl, null, 2)}\n`);
  writeFileSync(join(dir, `${spec.name}.svg`), await renderSvg(vl));
  return `${spec.name}.svg`;
}

/** The Pareto frontier of points where lower x and higher y are better: each point no other beats on both. */
export function paretoFrontier(points: readonly Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a.x - b.x || b.y - a.y);
  const out: Point[] = [];
  for (const p of sorted) if (out.length === 0 || p.y > out.at(-1)!.y) out.push(p);
  return out;
}
