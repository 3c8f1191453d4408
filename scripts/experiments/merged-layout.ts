/**
 * Writes a model folder in Optimum's merged-decoder layout from a split translation folder's fp32 graphs
 * (encoder_model.onnx + decoder_model_merged.onnx: one If over use_cache_branch, the weights both decoders hold
 * stored once in the main graph, as Optimum's merge does), for measuring what compression does to that layout:
 *   node --import tsx scripts/experiments/merged-layout.ts .cache/models/enfr-large /tmp/enfr-large-merged
 * then `export-and-compress /tmp/enfr-large-merged --out … --recipe int8` and compare its report with the split one's.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import { mergeDecoders } from '../../test/helpers/merged-decoder.js';

const [source, out] = process.argv.slice(2);
if (source === undefined || out === undefined) {
  process.stderr.write('usage: merged-layout.ts SPLIT_FOLDER OUT_FOLDER\n');
  process.exit(2);
}
mkdirSync(join(out, 'onnx'), { recursive: true });
for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json'])
  if (existsSync(join(source, f))) copyFileSync(join(source, f), join(out, f));
copyFileSync(join(source, 'onnx', 'encoder_model.onnx'), join(out, 'onnx', 'encoder_model.onnx'));
const merged = mergeDecoders(
  loadModel(join(source, 'onnx', 'decoder_model.onnx')),
  loadModel(join(source, 'onnx', 'decoder_with_past_model.onnx')),
);
saveModel(merged, join(out, 'onnx', 'decoder_model_merged.onnx'));
process.stdout.write(`${out}: encoder_model.onnx, decoder_model_merged.onnx\n`);
