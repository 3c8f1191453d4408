/**
 * The "Examples" section of a built-in model's card: fixed inputs sent to TLC's own server over HTTP (the
 * built folder in .cache/models, fp32 variant), answers quoted as the server returns them. The first fill-mask
 * sentence is the README's curl, so the card shows what a user of the quick start sees.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../src/server/server.js';

export const FILL_MASK_EXAMPLES: readonly string[] = [
  'The people of the United States have the <mask> to vote.',
  'The President of the United <mask>.',
  'Congress shall have the <mask> to declare war.',
  'We must reduce the national <mask>.',
  'Call me <mask>.',
  'The whale swam under the <mask>.',
];

export const TRANSLATION_EXAMPLES: readonly string[] = [
  'Allah is Knowing and Wise.',
  'Indeed, Allah is Forgiving and Merciful.',
  'And We sent to them a messenger from among themselves.',
  'They said, "Our Lord, forgive us our sins."',
  'To Allah belongs the dominion of the heavens and the earth.',
];

interface Candidate {
  readonly token_str: string;
  readonly score: number;
}

const cell = (text: string) => text.replaceAll('|', '\\|');

/** Markdown for the examples of `name` (a folder under `cacheModels`). */
export async function cardExamples(
  name: string,
  task: 'mlm' | 'translation',
  cacheModels: string,
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tlc-card-'));
  cpSync(join(cacheModels, name), join(dir, name), { recursive: true });
  const server = await startServer({
    modelsDir: dir,
    port: 0,
    host: '127.0.0.1',
    threads: 2,
    processMetrics: false,
    log: () => {},
  });
  const post = async (route: string, body: unknown): Promise<unknown> => {
    const res = await fetch(`${server.url}/v1/models/${name}/${route}?variant=fp32`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`${route} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  try {
    if (task === 'mlm') {
      const rows: string[] = [];
      for (const text of FILL_MASK_EXAMPLES) {
        const answer = (await post('fill-mask', { inputs: text, parameters: { top_k: 5 } })) as Candidate[];
        const top = answer
          .map((c) => `\`${c.token_str.trim() || c.token_str}\` ${c.score.toFixed(2)}`)
          .join(', ');
        rows.push(`| ${cell(text)} | ${cell(top)} |`);
      }
      return `## Examples

\`POST /v1/models/${name}/fill-mask\` (fp32 variant, \`top_k\` 5), answers with their probabilities:

| input | top 5 |
| --- | --- |
${rows.join('\n')}
`;
    }
    const answer = (await post('translate', {
      inputs: [...TRANSLATION_EXAMPLES],
      parameters: { num_beams: 4, max_new_tokens: 64 },
    })) as { translation_text: string }[];
    const rows = TRANSLATION_EXAMPLES.map(
      (text, i) => `| ${cell(text)} | ${cell(answer[i]!.translation_text)} |`,
    );
    return `## Examples

\`POST /v1/models/${name}/translate\` (fp32 variant, beam search with 4 beams):

| English | French |
| --- | --- |
${rows.join('\n')}
`;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
