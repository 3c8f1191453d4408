/**
 * Checkpoint → model folder in the Hugging Face / Optimum layout:
 *   config.json, tokenizer.json, tokenizer_config.json, tlc.json, and
 *   fill-mask:   onnx/model.onnx (input_ids, attention_mask → logits), roberta config;
 *   translation: onnx/encoder_model.onnx (→ last_hidden_state), onnx/decoder_model.onnx and
 *                onnx/decoder_with_past_model.onnx (key/value cache, Optimum names), marian config.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TLC_MODEL_FORMAT, type TlcModelJson } from '../model-folder/tlc-json.js';
import type { TransformerConfig } from '../models/config.js';
import type { ParamInfo } from '../models/context.js';
import { withWeights } from '../models/weights.js';
import { saveModel } from '../onnx/io.js';
import type { Model, Tensor } from '../onnx/ir.js';
import { SUMMARY_FILE, TOKENIZER_FILE } from '../run-folder/files.js';
import { locateCheckpoint } from '../run-folder/locate.js';
import type { RunConfig } from '../run-folder/run-config.js';
import { modelConfig, readRunConfig } from '../run-folder/run-config.js';
import { exportAs, taskForRun } from '../tasks/index.js';
import { specialIdsOf } from '../tokenizer/special-ids.js';
import { readTokenizerModel } from '../tokenizer/tokenizer-files.js';
import { readCheckpoint } from '../train/checkpoint.js';
import { writeFolderAtomically } from './folder.js';

export interface ExportOptions {
  /** Replace an existing folder. */
  readonly force?: boolean;
  /** Export as this task instead of the run's own (`--as feature-extraction` for an MLM run). */
  readonly as?: string;
}

export interface ExportResult {
  readonly dir: string;
  readonly tlc: TlcModelJson;
}

function parameterCounts(params: readonly ParamInfo[]): { total: number; nonEmbedding: number } {
  let total = 0;
  let nonEmbedding = 0;
  for (const p of params) {
    const n = p.shape.reduce((a, d) => a * d, 1);
    total += n;
    if (p.role !== 'embedding') nonEmbedding += n;
  }
  return { total, nonEmbedding };
}

function architecture(c: TransformerConfig, family: 'roberta' | 'marian'): TlcModelJson['architecture'] {
  return {
    family,
    layers: c.layers,
    dModel: c.dModel,
    heads: c.heads,
    ffn: c.ffn,
    maxLength: c.maxLength,
    vocabSize: c.vocabSize,
    preLayerNorm: c.preLayerNorm,
    positions: c.positions,
    activation: c.activation,
  };
}

function training(run: RunConfig, dir: string, step: number): TlcModelJson['training'] {
  const summaryPath = join(dir, SUMMARY_FILE);
  const summary = existsSync(summaryPath)
    ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as {
        seconds?: number;
        tokens?: number;
        validation?: Record<string, number>;
      })
    : {};
  return {
    step,
    ...(run.model.preset !== undefined && { preset: run.model.preset }),
    corpus: run.dataFiles.length > 0 ? 'user data' : run.corpus,
    ...(summary.seconds !== undefined && { seconds: summary.seconds }),
    ...(summary.tokens !== undefined && { tokens: summary.tokens }),
    ...(summary.validation !== undefined && { validation: summary.validation }),
    settings: run,
  };
}

/** Writes `model` to `onnx/<file>` inside `dir`; returns the relative path and its size in bytes. */
export function writeOnnx(dir: string, file: string, model: Model): { path: string; bytes: number } {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const saved = saveModel(model, join(dir, 'onnx', file));
  return { path: `onnx/${file}`, bytes: saved.bytes + (saved.externalData?.bytes ?? 0) };
}

/** Exports a trained run (its best checkpoint, or the checkpoint given) as a model folder. */
export async function exportRun(
  target: string,
  out: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const { dir, checkpoint } = locateCheckpoint(target);
  const run = readRunConfig(dir);
  const tokenizerPath = join(dir, TOKENIZER_FILE);
  const tokenizer = await readTokenizerModel(tokenizerPath);
  const special = specialIdsOf(tokenizer);
  const config = modelConfig(run, tokenizer.tokens.length);
  const { meta, tensors } = readCheckpoint(checkpoint);
  const weights = new Map<string, Tensor['data']>([...tensors].map(([name, t]) => [name, t.data]));
  const bake = (m: Model): Model => ({ ...withWeights(m, weights), producerName: 'tlc' });
  const own = taskForRun(run.task);
  const spec =
    options.as === undefined ? { name: own.name, export: own.export } : exportAs(options.as, run.task);
  const graphs = spec.export.graphs(config, bake, run);
  const params = spec.export.params(config, run);
  let tlc: TlcModelJson | undefined;
  await writeFolderAtomically(out, options.force ?? false, (tmp) => {
    const files = graphs.map(([file, model]) => writeOnnx(tmp, file, model).path);
    for (const [file, json] of Object.entries(spec.export.hfFiles(config, special, run))) {
      mkdirSync(dirname(join(tmp, file)), { recursive: true });
      writeFileSync(join(tmp, file), `${JSON.stringify(json, null, 2)}\n`);
    }
    copyFileSync(tokenizerPath, join(tmp, 'tokenizer.json'));
    copyFileSync(join(dir, 'tokenizer_config.json'), join(tmp, 'tokenizer_config.json'));
    tlc = {
      format: TLC_MODEL_FORMAT,
      task: spec.name,
      architecture: architecture(config, spec.export.family),
      parameters: parameterCounts(params),
      training: training(run, dir, meta.step),
      variants: [
        {
          name: 'fp32',
          files,
          recipe: [],
          bytes: files.reduce((sum, f) => sum + statSync(join(tmp, f)).size, 0),
        },
      ],
    };
    writeFileSync(join(tmp, 'tlc.json'), `${JSON.stringify(tlc, null, 2)}\n`);
  });
  return { dir: out, tlc: tlc! };
}
