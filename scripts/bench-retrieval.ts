/**
 * bench:retrieval — how well a sentence-embedding model finds the sentence that follows another, on held-out text,
 * against a bag-of-words baseline: pairs of adjacent sentences (≥ 8 words each) from the test split of the English
 * corpus (documents mlm-large never trained on); each first sentence is a query over all the second sentences.
 * Recall@1 and mean reciprocal rank for the model's variants (cosine of their embeddings) and for TF-IDF (log
 * term frequency × idf from the training split, cosine).
 *   npm run bench:retrieval -- [--model .cache/models/embed-large] [--pairs 500] [--threads 2]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMlmCorpus } from '../src/data/index.js';
import { bagOfWords } from '../src/eval/naive-bayes.js';
import { modelFolderTlc } from '../src/model-folder/read.js';
import { readPooling } from '../src/tasks/feature-extraction/pooling.js';
import { embedTexts } from '../src/tasks/feature-extraction/score.js';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';

const { values: flags } = parseArgs({
  options: {
    model: { type: 'string', default: '.cache/models/embed-large' },
    pairs: { type: 'string', default: '500' },
    threads: { type: 'string', default: '2' },
  },
});

const sentencesOf = (text: string) =>
  (text.match(/[^.!?]+[.!?]+/g) ?? [])
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.split(' ').length >= 8);

/** Adjacent sentence pairs of the test split's documents, the first `n`. */
function pairs(n: number): { query: string; answer: string }[] {
  const out: { query: string; answer: string }[] = [];
  for (const doc of loadMlmCorpus('english', 'test')) {
    const s = sentencesOf(doc.text);
    for (let i = 0; i + 1 < s.length && out.length < n; i += 2) out.push({ query: s[i]!, answer: s[i + 1]! });
    if (out.length >= n) break;
  }
  return out;
}

/** Rank of the right answer (1 = first) for each query, from a similarity matrix row. */
function ranks(sim: (q: number, a: number) => number, n: number): number[] {
  return Array.from({ length: n }, (_, q) => {
    const right = sim(q, q);
    let above = 0;
    for (let a = 0; a < n; a++) if (a !== q && sim(q, a) > right) above++;
    return above + 1;
  });
}

const summary = (r: readonly number[]) => ({
  recall_at_1: r.filter((x) => x === 1).length / r.length,
  mrr: r.reduce((s, x) => s + 1 / x, 0) / r.length,
});

function tfidf(train: readonly string[], texts: readonly string[]): Map<string, number>[] {
  const df = new Map<string, number>();
  for (const t of train) for (const w of new Set(bagOfWords(t))) df.set(w, (df.get(w) ?? 0) + 1);
  const idf = (w: string) => Math.log((1 + train.length) / (1 + (df.get(w) ?? 0))) + 1;
  return texts.map((t) => {
    const tf = new Map<string, number>();
    for (const w of bagOfWords(t)) tf.set(w, (tf.get(w) ?? 0) + 1);
    const v = new Map([...tf].map(([w, c]) => [w, (1 + Math.log(c)) * idf(w)] as const));
    const norm = Math.hypot(...v.values()) || 1;
    for (const [w, x] of v) v.set(w, x / norm);
    return v;
  });
}

const sparseDot = (a: Map<string, number>, b: Map<string, number>) => {
  let s = 0;
  for (const [w, x] of a) s += x * (b.get(w) ?? 0);
  return s;
};

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

const n = Number(flags.pairs);
const data = pairs(n);
const train = loadMlmCorpus('english', 'train').flatMap((d) => sentencesOf(d.text));
const qs = tfidf(
  train,
  data.map((p) => p.query),
);
const as = tfidf(
  train,
  data.map((p) => p.answer),
);
const rows: Record<string, unknown>[] = [
  { method: 'TF-IDF (train-split idf)', ...summary(ranks((q, a) => sparseDot(qs[q]!, as[a]!), data.length)) },
];
const folder = flags.model!;
const tlc = modelFolderTlc(folder);
const tokenizer = await Tokenizer.fromFile(join(folder, 'tokenizer.json'));
const pooling = readPooling(folder);
for (const v of tlc.variants) {
  const o = { threads: Number(flags.threads), maxLength: tlc.architecture.maxLength };
  const file = join(folder, v.files[0]!);
  const eq = await embedTexts(
    file,
    tokenizer,
    pooling,
    data.map((p) => p.query),
    o,
  );
  const ea = await embedTexts(
    file,
    tokenizer,
    pooling,
    data.map((p) => p.answer),
    o,
  );
  rows.push({
    method: `${folder.split('/').at(-1)} ${v.name}`,
    ...summary(ranks((q, a) => dot(eq[q]!, ea[a]!), data.length)),
  });
}
process.stdout.write(
  `${data.length} pairs of adjacent test-split sentences, each query over all ${data.length} answers\n`,
);
for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
