/**
 * tlc.json for a model folder TLC did not write (Optimum, transformers.js-ready folders, a PyTorch export with
 * a config.json beside it): the layout's graphs, the task detected from config.json and the graphs, the
 * architecture and length from config.json (else measured in the graph), and parameters counted once — a
 * tied LM head that the exporter folded into its own initializer is the embedding again, not new parameters.
 */
import { join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { modelFilesBytes } from '../onnx/file-bytes.js';
import { loadModel } from '../onnx/io.js';
import type { Graph, Model } from '../onnx/ir.js';
import { countParameters, type ParameterCount } from '../onnx/parameters.js';
import { embeddingFacts } from '../onnx/tied-weights.js';
import { walkGraphs } from '../onnx/traverse.js';
import { type DetectedTask, detectTask } from './detect-task.js';
import { type GraphFacts, graphFacts } from './graph-facts.js';
import { type HfFacts, readHfFacts } from './hf-facts.js';
import { findLayout, type GraphLayout, layoutFiles } from './layout.js';
import { TLC_MODEL_FORMAT, type TlcModelJson } from './tlc-json.js';

export type { ParameterCount } from '../onnx/parameters.js';
export { countParameters };

/** Rows of the Gather tables: the largest is the vocabulary, the next one of ≥ 16 rows the position table. */
function tableRows(graph: Graph): number[] {
  const { tables } = embeddingFacts(graph);
  const rows: number[] = [];
  walkGraphs(graph, (g) => {
    for (const name of tables) {
      const t = g.initializers.get(name);
      if (t !== undefined) rows.push(t.dims[0]!);
    }
  });
  return rows.sort((a, b) => b - a);
}

function tableWidth(graph: Graph): number {
  for (const name of embeddingFacts(graph).tables) {
    const t = graph.initializers.get(name);
    if (t !== undefined) return t.dims[1]!;
  }
  return 0;
}

export interface ForeignModel {
  readonly tlc: TlcModelJson;
  readonly layout: GraphLayout;
  readonly detected: DetectedTask;
  readonly facts?: HfFacts;
  /** What the first graph's tables say (graph-facts.ts); tlc.json's vocabulary is the table's rows. */
  readonly graphFacts: GraphFacts;
  readonly parameters: ParameterCount;
  /** The graphs read, by file (relative to the folder), for a caller that needs them next. */
  readonly models: ReadonlyMap<string, Model>;
}

/** The graphs whose weights are the model's (the with-past decoder repeats the decoder's). */
function countedFiles(layout: GraphLayout): string[] {
  if (layout.kind === 'single') return [layout.model];
  return [layout.encoder, layout.decoderMerged ?? layout.decoder].filter((f): f is string => f !== undefined);
}

/** Reads a foreign model folder; `first` is its first graph when the caller has already loaded it. */
export function readForeignModel(dir: string, first?: Model): ForeignModel {
  const found = findLayout(dir);
  if (!found.ok) throw new TlcError('MODEL_INVALID', `${dir}: ${found.reason}`);
  const layout = found.layout;
  const files = countedFiles(layout);
  const models = files.map((f, i) => (i === 0 && first !== undefined ? first : loadModel(join(dir, f))));
  const graph = models[0]!.graph;
  const facts = readHfFacts(dir);
  const detected = detectTask(facts, layout, graph);
  const parameters = countParameters(models.map((m) => m.graph));
  const rows = tableRows(graph);
  const read = graphFacts(graph);
  // The graph is the truth: an id past the table's rows fails in ONNX Runtime whatever config.json says.
  const vocabSize = read.vocabRows ?? facts?.vocabSize ?? rows[0] ?? 0;
  const positionRows = read.positionRows ?? rows.slice(1).find((r) => r >= 16 && r < vocabSize) ?? 0;
  const seq2seq = layout.kind === 'seq2seq';
  const allFiles = layoutFiles(layout);
  const tlc: TlcModelJson = {
    format: TLC_MODEL_FORMAT,
    task: detected.task,
    architecture: {
      family: facts?.modelType ?? (seq2seq ? 'marian' : 'roberta'),
      layers: facts?.layers ?? 0,
      dModel: facts?.hidden ?? tableWidth(graph),
      heads: facts?.heads ?? 0,
      ffn: facts?.ffn ?? 0,
      maxLength: facts?.maxLength ?? positionRows,
      vocabSize,
      preLayerNorm: facts?.preLayerNorm ?? false,
      activation: 'gelu',
    },
    parameters: { total: parameters.total, nonEmbedding: parameters.nonEmbedding },
    source: {
      detected: detected.evidence,
      ...(parameters.tiedCopies.length > 0 && { tiedCopies: parameters.tiedCopies }),
    },
    variants: [
      {
        name: 'fp32',
        files: allFiles,
        recipe: [],
        bytes: modelFilesBytes(dir, allFiles),
      },
    ],
  };
  const loaded = new Map(files.map((f, i) => [f, models[i]!] as const));
  return {
    tlc,
    layout,
    detected,
    ...(facts !== undefined && { facts }),
    graphFacts: read,
    parameters,
    models: loaded,
  };
}
