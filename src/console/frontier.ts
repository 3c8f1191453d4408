/**
 * The accuracy–latency (or –size) picture of "train large, then compress": every variant of every model of a
 * task as a point, the Pareto frontier (nothing both faster and better) drawn through them, the small baseline
 * marked. Pure functions that return SVG text, so they are tested in Node and drawn in the page alike; a hand-drawn
 * SVG keeps the console's first paint small (a charting library would be most of it).
 */

export interface Point {
  readonly model: string;
  readonly variant: string;
  readonly recipe: string;
  /** Lower is better: latency in ms or size in MB. */
  readonly x: number;
  /** Higher is better: accuracy (%) or BLEU. */
  readonly y: number;
  readonly baseline: boolean;
  /**
   * Degraded on this server: its fidelity probe agreed with fp32 less here than where it was compressed, so its
   * score is not what it does here. Drawn hollow and grey, labelled, and never on the frontier.
   */
  readonly degraded?: boolean;
  /** A size variant on a latency axis: not faster than fp32 where it was timed; labelled "(size)". */
  readonly size?: boolean;
}

/**
 * The points no other point beats on both axes (lower x and higher y), sorted by x. Degraded points neither join
 * the frontier nor push others off it: their score was measured on another machine and does not hold here.
 */
export function paretoFrontier(points: readonly Point[]): Point[] {
  const sorted = points.filter((p) => p.degraded !== true).sort((a, b) => a.x - b.x || b.y - a.y);
  const out: Point[] = [];
  let best = Number.NEGATIVE_INFINITY;
  for (const p of sorted) {
    if (p.y > best) {
      out.push(p);
      best = p.y;
    }
  }
  return out;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Round-number ticks covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const step0 = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= step0) ?? step0;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
    out.push(Number(t.toPrecision(12)));
  return out;
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563'];
/** Degraded points: grey and hollow, so they do not read as healthy points of their model's colour. */
const DEGRADED = '#9ca3af';

export interface FrontierLabels {
  readonly x: string;
  readonly y: string;
}

/** An SVG scatter plot with one circle per point (class "mark"), the frontier as a step line, a legend. */
export function frontierSvg(
  points: readonly Point[],
  labels: FrontierLabels,
  width = 640,
  height = 360,
): string {
  const m = { left: 56, right: 16, top: 34, bottom: 44 };
  if (points.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} 60" role="img"><text x="8" y="32">No scored variants to plot.</text></svg>`;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1] = [Math.min(0, ...xs), Math.max(...xs) * 1.05 || 1];
  const [y0, y1] = [Math.min(...ys) - 1, Math.max(...ys) + 1];
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * (width - m.left - m.right);
  const sy = (y: number) => height - m.bottom - ((y - y0) / (y1 - y0)) * (height - m.top - m.bottom);
  const models = [...new Set(points.map((p) => p.model))];
  const color = (model: string) => PALETTE[models.indexOf(model) % PALETTE.length]!;
  const grid = [
    ...ticks(x0, x1).map(
      (t) =>
        `<line class="grid" x1="${sx(t)}" x2="${sx(t)}" y1="${m.top}" y2="${height - m.bottom}"/><text class="tick" x="${sx(t)}" y="${height - m.bottom + 16}" text-anchor="middle">${t}</text>`,
    ),
    ...ticks(y0, y1).map(
      (t) =>
        `<line class="grid" x1="${m.left}" x2="${width - m.right}" y1="${sy(t)}" y2="${sy(t)}"/><text class="tick" x="${m.left - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`,
    ),
  ];
  const front = paretoFrontier(points);
  const path = front
    .map((p, i) =>
      i === 0
        ? `M${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`
        : `H${sx(p.x).toFixed(1)} V${sy(p.y).toFixed(1)}`,
    )
    .join(' ');
  const marks = points.map((p) => {
    const onFront = front.includes(p);
    const title = `${p.model} / ${p.variant} (${p.recipe}): ${p.y.toFixed(2)} at ${p.x.toFixed(2)}${onFront ? ', on the frontier' : ''}${p.baseline ? ', small baseline' : ''}${p.degraded ? ', degraded on this server (its probe fell short): not on the frontier' : ''}${p.size ? ', a size variant: not faster than fp32 where it was timed, kept for its size' : ''}`;
    const [cx, cy] = [sx(p.x), sy(p.y)];
    const stroke = p.degraded ? DEGRADED : color(p.model);
    const shape = p.baseline
      ? `<rect class="mark baseline${p.degraded ? ' degraded' : ''}" x="${cx - 6}" y="${cy - 6}" width="12" height="12" fill="none" stroke="${stroke}" stroke-width="2"><title>${escapeXml(title)}</title></rect>`
      : p.degraded
        ? `<circle class="mark degraded" cx="${cx}" cy="${cy}" r="4.5" fill="none" stroke="${stroke}" stroke-width="1.5"><title>${escapeXml(title)}</title></circle>`
        : `<circle class="mark${onFront ? ' front' : ''}" cx="${cx}" cy="${cy}" r="${onFront ? 6 : 4.5}" fill="${stroke}"><title>${escapeXml(title)}</title></circle>`;
    const note = [p.degraded ? 'degraded' : '', p.size ? '(size)' : ''].filter((n) => n !== '').join(' ');
    if (note === '') return shape;
    // Right of the point, or left of it near the right edge so that the label stays inside the plot.
    const left = cx > width - m.right - 70;
    return `${shape}<text class="note" x="${left ? cx - 9 : cx + 9}" y="${cy + 3.5}" text-anchor="${left ? 'end' : 'start'}">${note}</text>`;
  });
  const legend = models.map(
    (model, i) =>
      `<g transform="translate(${m.left + 8 + i * 150},8)"><circle r="5" cx="5" cy="5" fill="${color(model)}"/><text x="14" y="9">${escapeXml(model)}</text></g>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(labels.y)} against ${escapeXml(labels.x)}">
${grid.join('\n')}
<path class="frontier" d="${path}" fill="none"/>
${marks.join('\n')}
${legend.join('\n')}
<text class="axis" x="${(m.left + width - m.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(labels.x)}</text>
<text class="axis" transform="translate(14,${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(labels.y)}</text>
</svg>`;
}
