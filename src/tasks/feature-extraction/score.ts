/**
 * A feature-extraction variant scored for retrieval, without labels: the sentences of `--eval-data` (a text file,
 * one sentence per line, the first `maxSentences`) embedded by the variant and by fp32; the mean cosine of each
 * sentence's two embeddings, and recall@10: how many of each sentence's 10 nearest neighbours under fp32 (cosine,
 * itself excluded) are among its 10 under the variant, averaged.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TlcError } from '../../errors/index.js';
import { createSession } from '../../ort/session.js';
import { Tokenizer } from '../../tokenizer/tokenizer.js';
import { truncateIds } from '../../tokenizer/truncate.js';
import type { VariantScores } from '../scores.js';
import { normalizeRow, type Pooling, readPooling } from './pooling.js';
import { embedBatch, embedRequest } from './worker.js';

const NEIGHBOURS = 10;

/** Unit-length embeddings of `texts` (rows of the result) by the graph in `modelFile`. */
export async function embedTexts(
  modelFile: string,
  tokenizer: Tokenizer,
  pooling: Pooling | undefined,
  texts: readonly string[],
  o: { readonly threads: number; readonly maxLength: number },
): Promise<Float32Array[]> {
  const session = await createSession(modelFile, { threads: o.threads, source: modelFile });
  const rows: Float32Array[] = [];
  try {
    for (let start = 0; start < texts.length; start += 16) {
      const items = texts
        .slice(start, start + 16)
        .map((t) => Int32Array.from(tokenizer.encode(t)))
        .map((ids) => (o.maxLength > 0 ? truncateIds(ids, o.maxLength, tokenizer.specialIds.eos) : ids));
      const r = await embedBatch(session, embedRequest(items, tokenizer.specialIds.pad ?? 0, pooling));
      for (let k = 0; k < items.length; k++) {
        const row = r.embeddings.slice(k * r.width, (k + 1) * r.width);
        normalizeRow(row);
        rows.push(row);
      }
    }
  } finally {
    await session.release();
  }
  return rows;
}

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/** The `k` rows nearest to row `i` by cosine (rows unit-length), itself excluded. */
function nearest(rows: readonly Float32Array[], i: number, k: number): Set<number> {
  const sims = rows.map((r, j) => [j, j === i ? Number.NEGATIVE_INFINITY : dot(rows[i]!, r)] as const);
  return new Set(
    [...sims]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([j]) => j),
  );
}

/** Mean cosine of paired rows and recall@k of `reference`'s neighbours under `variant`. */
export function retrievalAgreement(
  reference: readonly Float32Array[],
  variant: readonly Float32Array[],
  k = NEIGHBOURS,
): { cosine: number; recall: number } {
  const n = reference.length;
  let cosine = 0;
  let recall = 0;
  const kk = Math.min(k, n - 1);
  for (let i = 0; i < n; i++) {
    cosine += dot(reference[i]!, variant[i]!);
    if (kk <= 0) continue;
    const want = nearest(reference, i, kk);
    let hit = 0;
    for (const j of nearest(variant, i, kk)) if (want.has(j)) hit++;
    recall += hit / kk;
  }
  return { cosine: cosine / Math.max(1, n), recall: kk <= 0 ? 1 : recall / Math.max(1, n) };
}

export async function evaluateEmbeddings(
  folder: string,
  files: readonly string[],
  reference: readonly string[],
  evalFile: string,
  o: { readonly threads: number; readonly maxLength: number; readonly maxSentences?: number },
): Promise<VariantScores> {
  const texts = readFileSync(evalFile, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(0, o.maxSentences ?? 1000);
  if (texts.length < 2)
    throw new TlcError('DATA_INVALID', `${evalFile}: give at least two sentences, one per line`);
  const tokenizer = await Tokenizer.fromFile(join(folder, 'tokenizer.json'));
  const pooling = readPooling(folder);
  const mine = await embedTexts(join(folder, files[0]!), tokenizer, pooling, texts, o);
  const theirs =
    reference[0] === files[0]
      ? mine
      : await embedTexts(join(folder, reference[0]!), tokenizer, pooling, texts, o);
  const { cosine, recall } = retrievalAgreement(theirs, mine);
  return { embedding_cosine: cosine, recall_at_10: recall };
}
