/**
 * Translation metrics for validation (during training) and test (tlc eval): loss and perplexity (teacher forcing,
 * no label smoothing) and BLEU / chrF of greedy translations.
 */
import { greedyDecode } from '../../eval/greedy.js';
import { corpusBleu } from '../../eval/metrics/bleu.js';
import { corpusChrf } from '../../eval/metrics/chrf.js';
import type { TransformerConfig } from '../../models/config.js';
import { buildSeq2Seq } from '../../models/seq2seq.js';
import { withWeights } from '../../models/weights.js';
import { encodeModel } from '../../onnx/io.js';
import type { Tensor } from '../../onnx/ir.js';
import { createSession, type Device } from '../../ort/session.js';
import type { BpeModel } from '../../tokenizer/model.js';
import type { SpecialIds } from '../../tokenizer/special-ids.js';
import { Tokenizer } from '../../tokenizer/tokenizer.js';
import { Rng } from '../../util/rng.js';
import type { Batch, EvalRunner } from '../spec.js';

export interface TranslationLoss {
  readonly loss: number;
  readonly perplexity: number;
  readonly tokens: number;
}

/** Mean target-token NLL under teacher forcing (the evaluation graph has no label smoothing). */
export async function evaluateTranslationLoss(
  run: EvalRunner,
  batches: readonly Batch[],
): Promise<TranslationLoss> {
  let nll = 0;
  let tokens = 0;
  for (const batch of batches) {
    const out = await run(batch, ['loss']);
    const n = batch.inputs.target_labels!.dims[0]!;
    nll += Number(out.loss!.data[0]) * n;
    tokens += n;
  }
  return { loss: nll / tokens, perplexity: Math.exp(nll / tokens), tokens };
}

export interface TranslationQuality {
  readonly bleu: number;
  readonly chrf: number;
  readonly sentences: number;
  readonly bleuSignature: string;
  /** A few translations, for the log. */
  readonly samples: readonly { source: string; reference: string; hypothesis: string }[];
}

export interface QualityOptions {
  readonly config: TransformerConfig;
  readonly weights: ReadonlyMap<string, Tensor['data']>;
  readonly tokenizer: BpeModel;
  readonly special: SpecialIds;
  readonly threads: number;
  readonly device?: Device;
  /** Extra generated tokens allowed beyond the source length. */
  readonly maxNewTokens?: number;
}

/** Greedy translations of `pairs` scored with corpus BLEU (13a) and chrF against their references. */
export async function evaluateTranslationQuality(
  pairs: readonly { source: string; target: string }[],
  sources: readonly Int32Array[],
  o: QualityOptions,
): Promise<TranslationQuality> {
  const build = (head: 'encoder' | 'next-token') =>
    encodeModel(
      withWeights(buildSeq2Seq(o.config, { rng: Rng.seeded(0), head, dropout: false }).model, o.weights),
    );
  const sessionOptions = { threads: o.threads, ...(o.device !== undefined && { device: o.device }) };
  const encoder = await createSession(build('encoder'), { ...sessionOptions, source: 'encoder' });
  const decoder = await createSession(build('next-token'), { ...sessionOptions, source: 'decoder' });
  try {
    const maxSource = Math.max(...sources.map((s) => s.length));
    const generated = await greedyDecode(encoder, decoder, sources, {
      bos: o.special.bos,
      eos: o.special.eos,
      pad: o.special.pad,
      maxNewTokens: Math.min(o.config.maxLength, Math.ceil(maxSource * 1.5) + (o.maxNewTokens ?? 10)),
    });
    const tokenizer = Tokenizer.fromModel(o.tokenizer);
    const hypotheses = generated.map((ids) =>
      ids.length === 0 ? '' : tokenizer.decode(ids, { skipSpecialTokens: true }),
    );
    const references = [pairs.map((p) => p.target)];
    const bleu = corpusBleu(hypotheses, references);
    const chrf = corpusChrf(hypotheses, references);
    return {
      bleu: bleu.score,
      chrf: chrf.score,
      sentences: pairs.length,
      bleuSignature: bleu.signature,
      samples: pairs
        .slice(0, 3)
        .map((p, i) => ({ source: p.source, reference: p.target, hypothesis: hypotheses[i]! })),
    };
  } finally {
    await encoder.release();
    await decoder.release();
  }
}
