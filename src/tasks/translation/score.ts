/**
 * BLEU and chrF of a translation variant on a TSV file (`source<TAB>target` lines): the first N pairs,
 * tokenized with the folder's tokenizer as training does (source ids + </s>, cut to the model's length),
 * translated greedily with the key/value cache, decoded, and scored at corpus level with sacreBLEU's defaults
 * (BLEU 13a, chrF). Every variant of a folder is scored on the same pairs in the same batches.
 */
import { join } from 'node:path';
import { loadTsvPairs } from '../../data/tsv-pairs.js';
import { corpusBleu } from '../../eval/metrics/bleu.js';
import { corpusChrf } from '../../eval/metrics/chrf.js';
import { createSession, type Device } from '../../ort/session.js';
import { encodeWithMerges } from '../../tokenizer/encode.js';
import { Tokenizer } from '../../tokenizer/tokenizer.js';
import { readTokenizerModel } from '../../tokenizer/tokenizer-files.js';
import { openTranslation } from './decoder-sessions.js';
import { translateIds } from './translate.js';
import { graphList, readTranslationModel, variantFiles } from './translation-model.js';

export interface TranslationScores {
  /** Corpus BLEU, 0–100. */
  readonly bleu: number;
  /** Corpus chrF, 0–100. */
  readonly chrf: number;
  readonly sentences: number;
  readonly bleuSignature: string;
}

export interface TranslationEvalOptions {
  /** Pairs read from the top of the file (default 200). */
  readonly maxLines?: number;
  /** Sources translated per batch (default 16; sorted by length so that padding stays small). */
  readonly batchSize?: number;
  readonly threads?: number;
  readonly device?: Device;
}

/** Scores the variant whose graphs are `files` (paths relative to `folder`) on the first pairs of `tsvFile`. */
export async function evaluateTranslation(
  folder: string,
  files: readonly string[],
  tsvFile: string,
  options: TranslationEvalOptions = {},
): Promise<TranslationScores> {
  const info = readTranslationModel(folder);
  const pairs = (await loadTsvPairs(tsvFile)).slice(0, options.maxLines ?? 200);
  const model = await readTokenizerModel(join(folder, 'tokenizer.json'));
  const sources = pairs.map((p) =>
    Int32Array.from([...encodeWithMerges(model, p.source).slice(0, info.maxLength - 1), info.eos]),
  );
  const sessionOptions = { threads: options.threads ?? 1, device: options.device ?? 'cpu' };
  const open = (f: string) => createSession(join(folder, f), { ...sessionOptions, source: f });
  const { sessions, opened } = await openTranslation(graphList(variantFiles(files, folder)), open);
  try {
    const generated: Int32Array[] = new Array(sources.length);
    const order = [...sources.keys()].sort((a, b) => sources[a]!.length - sources[b]!.length);
    const size = options.batchSize ?? 16;
    // As training's evaluation: room for a translation half again as long as the longest source, and then some.
    const maxNewTokens = Math.ceil(Math.max(...sources.map((s) => s.length)) * 1.5) + 10;
    for (let start = 0; start < order.length; start += size) {
      const idx = order.slice(start, start + size);
      const out = await translateIds(
        sessions,
        idx.map((i) => sources[i]!),
        {
          bos: info.bos,
          eos: info.eos,
          pad: info.pad,
          decoderStart: info.decoderStart,
          maxLength: info.maxLength,
          maxNewTokens,
        },
      );
      idx.forEach((i, k) => {
        generated[i] = out[k]!;
      });
    }
    const tokenizer = await Tokenizer.fromFile(folder);
    const hypotheses = generated.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true }));
    const references = [pairs.map((p) => p.target)];
    const bleu = corpusBleu(hypotheses, references);
    const chrf = corpusChrf(hypotheses, references);
    return { bleu: bleu.score, chrf: chrf.score, sentences: pairs.length, bleuSignature: bleu.signature };
  } finally {
    for (const s of opened) await s.release();
  }
}
