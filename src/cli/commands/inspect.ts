/** `tlc inspect <model.onnx>`: what a model takes, returns, uses and weighs. */
import type { Command } from 'commander';
import { type ModelSummary, summarize, type ValueSummary } from '../../onnx/inspect.js';
import { loadModel } from '../../onnx/io.js';
import { formatBytes, formatCount, table } from '../../util/format.js';
import { action } from '../errors.js';

function shapeText(v: ValueSummary): string {
  return v.shape === undefined
    ? '(rank unknown)'
    : `[${v.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

export function renderSummary(path: string, s: ModelSummary): string {
  const io = (label: string, values: readonly ValueSummary[]) =>
    values.map((v) => [label, v.name, v.type, shapeText(v)] as const);
  const lines = [
    `${path}`,
    `  IR version ${s.irVersion}${s.producer ? `, produced by ${s.producer}` : ''}`,
    `  opsets: ${Object.entries(s.opsets)
      .map(([d, v]) => `${d} ${v}`)
      .join(', ')}`,
    '',
    table(['', 'name', 'type', 'shape'], [...io('input', s.inputs), ...io('output', s.outputs)]),
    '',
    `${formatCount(s.nodes)} nodes${s.subgraphs > 0 ? ` (${s.subgraphs} subgraphs)` : ''}, ${formatCount(s.parameters)} parameters`,
    ...s.tiedCopies.map(
      (c) =>
        `  (${c.copy}: ${formatCount(c.elements)} values that repeat ${c.of}${c.transposed ? ' transposed' : ''} — a tied LM head, counted once)`,
    ),
    '',
    table(
      ['op', 'count'],
      Object.entries(s.ops).map(([op, n]) => [op, String(n)]),
    ),
    '',
    table(
      ['dtype', 'tensors', 'elements', 'bytes'],
      Object.entries(s.byType).map(([t, e]) => [
        t,
        String(e.tensors),
        formatCount(e.elements),
        formatBytes(e.bytes),
      ]),
    ),
  ];
  const meta = Object.entries(s.metadata);
  if (meta.length > 0) lines.push('', table(['metadata', 'value'], meta));
  return `${lines.join('\n')}\n`;
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'show a model: inputs and outputs with shapes, opsets, op histogram, parameters and bytes by dtype',
    )
    .argument('<model>', 'an .onnx file (external data is read from beside it)')
    .option('--json', 'print the summary as JSON')
    .action(
      action((path: string, options: { json?: boolean }) => {
        const summary = summarize(loadModel(path));
        process.stdout.write(
          options.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(path, summary),
        );
      }),
    );
}
