/**
 * tlc.json for a model folder TLC did not write (Optimum, transformers.js-ready folders, a PyTorch export with
 * a config.json beside it): the layout's graphs, the task detected from config.json and the graphs, the
 * architecture and length from config.json (else measured in the graph), and parameters counted once — a
 * tied LM head that the exporter folded into its own initializer is the embedding again, not new parameters.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { TlcError } from '../errors/index.js';
import { DataType, numel } from '../onnx/dtype.js';
import { loadModel } from '../onnx/io.js';
import type { Graph, Model, Tensor } from '../onnx/ir.js';
import { embeddingFacts } from '../onnx/tied-weights.js';
import { walkGraphs } from '../onnx/traverse.js';
import { type DetectedTask, detectTask } from './detect-task.js';
import { type GraphFacts, graphFacts } from './graph-facts.js';
import { type HfFacts, readHfFacts } from './hf-facts.js';
import { findLayout, type GraphLayout, layoutFiles } from './layout.js';
import { TLC_MODEL_FORMAT, type TlcModelJson } from './tlc-json.js';

export interface ParameterCount {
  readonly total: number;
  readonly nonEmbedding: number;
  /** Initializers that duplicate an embedding table (tied heads), not counted. */
  readonly tiedCopies: readonly string[];
}

/** A tensor's identity for counting shared weights across graphs once: its shape and a sample of values. */
function fingerprint(t: Tensor): string {
  const data = t.data as ArrayLike<number | bigint>;
  const n = data.length;
  const step = Math.max(1, Math.floor(n / 16));
  const sample: string[] = [];
  for (let i = 0; i < n; i += step) sample.push(String(data[i]));
  return `${t.dataType}:${t.dims.join('x')}:${sample.join(',')}`;
}

const isParameter = (t: Tensor) =>
  (t.dataType === DataType.FLOAT || t.dataType === DataType.FLOAT16 || t.dataType === DataType.BFLOAT16) &&
  numel(t.dims) > 1;

/**
 * Float parameters of `graphs`, tied copies not counted, and a matrix that an earlier graph already holds (the
 * embedding an encoder and a decoder share) counted once. Vectors are never matched across graphs: freshly
 * initialised LayerNorm scales are all equal.
 */
export function countParameters(graphs: readonly Graph[]): ParameterCount {
  const earlier = new Set<string>();
  let total = 0;
  let embedding = 0;
  const tiedCopies: string[] = [];
  for (const graph of graphs) {
    const { tables, copies } = embeddingFacts(graph);
    const copyNames = new Set(copies.map((c) => c.copy));
    tiedCopies.push(...copyNames);
    const tableNames = new Set(tables);
    const here = new Set<string>();
    walkGraphs(graph, (g) => {
      // PyTorch's exporter stores parameters that are equal at export (fresh LayerNorm scales) once and names
      // the others with Identity nodes: each is still a parameter of the model.
      const aliases = g.nodes.flatMap((node): [string, Tensor][] => {
        const t = node.opType === 'Identity' ? g.initializers.get(node.inputs[0] ?? '') : undefined;
        return t === undefined ? [] : [[node.outputs[0] ?? '', t]];
      });
      for (const [name, t] of [...g.initializers, ...aliases]) {
        if (!isParameter(t) || copyNames.has(name)) continue;
        if (t.dims.length >= 2) {
          const key = fingerprint(t);
          here.add(key);
          if (earlier.has(key)) continue;
        }
        total += numel(t.dims);
        if (tableNames.has(name)) embedding += numel(t.dims);
      }
    });
    for (const key of here) earlier.add(key);
  }
  return { total, nonEmbedding: total - embedding, tiedCopies };
}

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
        bytes: allFiles.reduce((s, f) => s + statSync(join(dir, f)).size, 0),
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
