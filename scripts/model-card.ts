/**
 * Writes models/<name>/README.md, the model card of a shipped model, from what the project measured: the run's
 * settings and summary, `tlc eval` of the shipped checkpoint on the test split, and the built folder's tlc.json
 * (per variant: size, test-split scores, latency). With --pair <small>, the card of a large model also says
 * whether its best compressed variant beats the small model's fp32 at no more than its size.
 *   node --import tsx scripts/model-card.ts <name> [--pair <small-name>] [--cache .cache]
 * Run `npm run models:build` first: the variant numbers come from the built folder.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { TlcModelJson } from '../src/model-folder/tlc-json.js';
import { readRunConfig } from '../src/run-folder/run-config.js';
import { evaluateRun } from '../src/train/run/eval-run.js';
import { num } from './card/row.js';
import { CARD_ROWS } from './card/rows.js';
import { cardExamples } from './model-card-examples.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: { pair: { type: 'string' }, cache: { type: 'string', default: '.cache' } },
});
const name = positionals[0];
if (name === undefined) {
  process.stderr.write('usage: model-card.ts <name> [--pair <small-name>] [--cache .cache]\n');
  process.exit(2);
}

interface Summary {
  steps: number;
  tokens: number;
  seconds?: number;
  parameters: { total: number; nonEmbedding: number };
  validation: Record<string, number>;
}

const dir = join('models', name);
const run = readRunConfig(dir);
const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
const command = existsSync(join(dir, 'train.command'))
  ? readFileSync(join(dir, 'train.command'), 'utf8').trim()
  : '(not recorded)';
const built = (n: string) =>
  JSON.parse(readFileSync(resolve(flags.cache!, 'models', n, 'tlc.json'), 'utf8')) as TlcModelJson;
const tlc = built(name);
process.stderr.write(`${name}: tlc eval on the test split…\n`);
const test = (await evaluateRun(dir)).metrics;
process.stderr.write(`${name}: examples through the server…\n`);
const row = CARD_ROWS[run.task];
const examples = await cardExamples(name, run, row, resolve(flags.cache!, 'models'));

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const m = run.model;

const variantRows = tlc.variants.map(
  (v) =>
    `| ${v.name} | ${v.recipe.length === 0 ? 'fp32' : v.recipe.join(' + ')} | ${mb(v.bytes)} | ${row.cells(v).join(' | ')} | ${num(v.latency?.p50_ms, 1)} | ${num(v.latency?.p95_ms, 1)} |`,
);
const first = tlc.variants[0]?.latency;
const latencyNote = first
  ? `${row.latencyUnit} on batch ${first.batch} × ${first.sequence} tokens, ${first.threads} ONNX Runtime threads, ${first.cpu ?? 'CPU'}${row.latencyExtra}; int8 and q4 speed depends on the CPU (docs/usage.md, "int8 on every CPU"), a size variant is not faster than fp32 there`
  : 'CPU';

let comparison = '';
if (flags.pair !== undefined) {
  const small = built(flags.pair);
  const score = row.headline;
  const smallFp32 = small.variants[0]!;
  const fitting = tlc.variants.filter((v) => v.bytes <= smallFp32.bytes && score(v) !== undefined);
  const best = fitting.sort((a, b) => score(b)! - score(a)!)[0];
  const { metric, show } = row;
  const verdict =
    best === undefined
      ? `No variant of ${name} is as small as ${flags.pair}'s fp32 (${mb(smallFp32.bytes)} MB), so at this scale the large model's compressed form does not fit the small model's size.`
      : score(best)! >= score(smallFp32)!
        ? `Yes: ${name}'s best variant at no more than ${flags.pair}'s fp32 size (${mb(smallFp32.bytes)} MB) is **${best.name}** (${mb(best.bytes)} MB) with ${metric} ${show(score(best))}, against ${show(score(smallFp32))} for ${flags.pair} in fp32 — the paper's claim holds here.`
        : `**No, not at this scale.** ${name}'s best variant at no more than ${flags.pair}'s fp32 size (${mb(smallFp32.bytes)} MB) is ${best.name} (${mb(best.bytes)} MB) with ${metric} ${show(score(best))}, below ${show(score(smallFp32))} for ${flags.pair} in fp32. Trained for the same wall-clock time on two CPU cores, the large model took far fewer steps and is still earlier in training; the paper's result (large models trained briefly, then compressed, win) needs budgets where the large model gets past its early phase.`;
  comparison = `
## Large and compressed against small

Same data, same wall-clock budget, side by side on the same machine. ${verdict}

| model | non-embedding parameters | steps (best checkpoint) | tokens seen | fp32 size (MB) | fp32 ${metric} (test) |
| --- | --- | --- | --- | --- | --- |
| ${flags.pair} | ${(small.parameters.nonEmbedding / 1e6).toFixed(2)}M | ${small.training?.step ?? ''} | ${small.training?.tokens ?? ''} | ${mb(smallFp32.bytes)} | ${show(score(smallFp32))} |
| ${name} | ${(tlc.parameters.nonEmbedding / 1e6).toFixed(2)}M | ${tlc.training?.step ?? ''} | ${tlc.training?.tokens ?? ''} | ${mb(tlc.variants[0]!.bytes)} | ${show(score(tlc.variants[0]!))} |
`;
}

const card = `# ${name}

${row.intro(run)}, trained by TLC's own trainer on two CPU cores. It is one of TLC's built-in models: \`npm start\` exports and compresses it and serves it as \`${name}\`.

## Data and licence

${row.data(run)}

## Architecture

${row.architecture}, ${m.preLayerNorm ? 'pre' : 'post'}-LayerNorm, ${m.positions === 'alibi' ? 'ALiBi positions (a per-head distance bias in attention, no position table; docs/training.md)' : 'learned position embeddings'}: ${m.layers} layers${row.layersSuffix} × width ${m.dModel}, ${m.heads} heads, FFN ${m.ffn}, max length ${m.maxLength}, byte-level BPE vocabulary of ${run.vocabSize}. Parameters: ${(summary.parameters.nonEmbedding / 1e6).toFixed(2)}M non-embedding, ${(summary.parameters.total / 1e6).toFixed(2)}M in all.

## Training

${summary.steps} steps, ${summary.tokens} tokens, a budget of ${Math.round((run.timeBudgetSeconds ?? 0) / 60)} minutes of training time (evaluation not counted) with ${run.threads} ONNX Runtime thread${run.threads === 1 ? '' : 's'}${command === '(not recorded)' ? '' : ', side by side with the other model of its pair (`scripts/train-builtin.ts`: two CPU cores, one each)'}:

\`\`\`sh
${command}
\`\`\`

The shipped checkpoint (\`best.safetensors\`) holds the parameters as float16 (the run's best validation loss); \`run.json\`, \`log.jsonl\` and \`summary.json\` are the run's settings and logs.

## Test split

\`tlc eval models/${name}\` on the held-out test split (never used for training or model selection): ${row.testLine(test)}.

${examples}
## Variants

Built by \`npm run models:build\` (\`export-and-compress\`), scored on the test split${row.scoring}; latency: ${latencyNote}, on the machine that built this card.

| variant | recipe | size (MB) | ${row.columns.join(' | ')} | p50 ms | p95 ms |
| --- | --- | --- | --- | --- | --- | --- |
${variantRows.join('\n')}
${comparison}`;
writeFileSync(join(dir, 'README.md'), card);
process.stderr.write(`${join(dir, 'README.md')} written\n`);
