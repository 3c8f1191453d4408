/**
 * The results file every experiment writes (`<out>/<id>.json`): its series (the plotted data), tables, the
 * commands that made it and the machine; and the check that the plots show exactly those series, none of them
 * empty or constant.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineFacts } from '../../src/bench/bench-model.js';
import { FRONTIER } from './latency-frontier.js';
import { type PlotSpec, plotRows, type Series, writePlot } from './plot.js';

export interface ExperimentResult {
  readonly id: 'a' | 'b' | 'c' | 'd' | 'e' | 'f';
  readonly title: string;
  readonly quick: boolean;
  readonly machine: ReturnType<typeof machineFacts>;
  /** The `tlc` commands the experiment ran, in order. */
  readonly commands: readonly string[];
  readonly series: readonly Series[];
  readonly plots: readonly { readonly name: string; readonly file: string; readonly title: string }[];
  /** Extra tables: rows of named numbers (seconds per step per preset, the Pareto frontier…). */
  readonly tables: Readonly<Record<string, readonly Readonly<Record<string, string | number | boolean>>[]>>;
  readonly seconds: number;
}

/** Renders the plots and writes `<out>/<id>.json`. */
export async function writeResult(
  out: string,
  partial: Omit<ExperimentResult, 'plots' | 'machine'>,
  specs: readonly PlotSpec[],
): Promise<ExperimentResult> {
  const plots = [];
  for (const spec of specs)
    plots.push({ name: spec.name, file: await writePlot(out, spec, partial.series), title: spec.title });
  const result: ExperimentResult = { ...partial, machine: machineFacts(), plots };
  writeFileSync(join(out, `${partial.id}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** What is wrong with a written result: plots that do not show its series, empty or constant series. */
export function resultProblems(out: string, id: ExperimentResult['id']): string[] {
  const problems: string[] = [];
  const file = join(out, `${id}.json`);
  if (!existsSync(file)) return [`${file} is missing`];
  const result = JSON.parse(readFileSync(file, 'utf8')) as ExperimentResult;
  if (result.plots.length === 0) problems.push(`${id}: no plots`);
  for (const s of result.series) {
    if (s.plot.endsWith(FRONTIER)) {
      if (s.points.length === 0) problems.push(`${id}/${s.name}: empty`);
      continue;
    }
    if (s.points.length < 2) problems.push(`${id}/${s.name}: ${s.points.length} point(s)`);
    const ys = new Set(s.points.map((p) => p.y));
    const xs = new Set(s.points.map((p) => p.x));
    if (s.points.length >= 2 && (ys.size < 2 || xs.size < 2)) problems.push(`${id}/${s.name}: constant`);
    if (s.points.some((p) => !Number.isFinite(p.x) || !Number.isFinite(p.y)))
      problems.push(`${id}/${s.name}: a non-finite value`);
  }
  for (const plot of result.plots) {
    const svgFile = join(out, plot.file);
    const specFile = join(out, `${plot.name}.vl.json`);
    if (!existsSync(svgFile) || !existsSync(specFile)) {
      problems.push(`${id}: ${plot.file} or its spec is missing`);
      continue;
    }
    const svg = readFileSync(svgFile, 'utf8');
    if (!svg.startsWith('<svg') || !svg.trimEnd().endsWith('</svg>'))
      problems.push(`${plot.file}: not an SVG document`);
    const spec = JSON.parse(readFileSync(specFile, 'utf8')) as { layer: { data: { values: unknown[] } }[] };
    const drawn = spec.layer[0]!.data.values;
    const expected = plotRows(result.series.filter((s) => s.plot === plot.name));
    if (expected.length === 0) problems.push(`${plot.name}: no series`);
    if (JSON.stringify(drawn) !== JSON.stringify(expected))
      problems.push(`${plot.name}: the plotted data differ from the results' series`);
    const overlay = plotRows(result.series.filter((s) => s.plot === `${plot.name}${FRONTIER}`));
    if (JSON.stringify(spec.layer[1]?.data.values ?? []) !== JSON.stringify(overlay))
      problems.push(`${plot.name}: the plotted frontier differs from the results' frontier`);
    // Every plotted point is drawn: Vega writes one path per symbol in the point marks' group.
    const symbols = svg
      .match(/class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/s)?.[1]
      ?.match(/<path /g)?.length;
    if (symbols !== expected.length)
      problems.push(`${plot.file}: ${symbols ?? 0} points drawn, ${expected.length} in the results`);
  }
  return problems;
}
