/** Markdown of written results (`npm run bench:exp -- report`): each experiment's plots, tables and commands. */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ExperimentResult } from './results.js';

function tableMarkdown(rows: readonly Readonly<Record<string, string | number | boolean>>[]): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0]!);
  const cell = (v: string | number | boolean | undefined) =>
    typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en-US') : String(v)) : String(v ?? '');
  return [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map((c) => (typeof rows[0]![c] === 'number' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r[c])).join(' | ')} |`),
  ].join('\n');
}

/** The markdown of every result in `out`, image links relative to `from` (the document's folder). */
export function resultsMarkdown(out: string, from: string): string {
  const parts: string[] = [];
  for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) {
    const file = join(out, `${id}.json`);
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8')) as ExperimentResult;
    parts.push(`### ${id.toUpperCase()}. ${r.title}${r.quick ? ' (quick mode)' : ''}`);
    for (const p of r.plots) parts.push(`![${p.title}](${relative(from, join(out, p.file))})`);
    for (const [name, rows] of Object.entries(r.tables)) parts.push(`${name}:\n\n${tableMarkdown(rows)}`);
    parts.push(`Commands (${r.seconds.toFixed(0)} s in all):\n\n\`\`\`sh\n${r.commands.join('\n')}\n\`\`\``);
  }
  return `${parts.join('\n\n')}\n`;
}
