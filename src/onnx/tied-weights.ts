/**
 * Embedding tables and their tied copies. A PyTorch export of a model whose LM head shares the token embedding
 * often constant-folds the head into its own initializer — the table transposed ([hidden, vocab]) or as is —
 * so one parameter appears twice. Counting, pruning and quantizing need to know both: the table (read by a
 * Gather) and every float initializer that holds the same values.
 */
import { DataType } from './dtype.js';
import type { Graph, Tensor } from './ir.js';
import { walkGraphs } from './traverse.js';

export interface TiedCopy {
  /** The initializer that duplicates an embedding table. */
  readonly copy: string;
  /** The embedding table it duplicates. */
  readonly of: string;
  readonly transposed: boolean;
}

export interface EmbeddingFacts {
  /** 2-D float initializers read as the data of a Gather (token, position, type tables). */
  readonly tables: readonly string[];
  /** Initializers that hold the same values as one of the tables. */
  readonly copies: readonly TiedCopy[];
}

function floatValues(t: Tensor): Float32Array | undefined {
  return t.dataType === DataType.FLOAT && t.data instanceof Float32Array ? t.data : undefined;
}

/** Probe positions first (cheap rejection), then every element. */
function sameValues(
  a: Float32Array,
  b: Float32Array,
  rows: number,
  cols: number,
  transposed: boolean,
): boolean {
  const at = (i: number, j: number) => (transposed ? b[j * rows + i]! : b[i * cols + j]!);
  const step = Math.max(1, Math.floor((rows * cols) / 64));
  for (let k = 0; k < rows * cols; k += step) {
    const i = Math.floor(k / cols);
    const j = k % cols;
    if (a[k] !== at(i, j)) return false;
  }
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) if (a[i * cols + j] !== at(i, j)) return false;
  return true;
}

/** The embedding tables of `graph` (and its subgraphs) and the initializers that copy them. */
export function embeddingFacts(graph: Graph): EmbeddingFacts {
  const initializers = new Map<string, Tensor>();
  const gathered = new Set<string>();
  walkGraphs(graph, (g) => {
    for (const [name, t] of g.initializers) initializers.set(name, t);
    for (const node of g.nodes) if (node.opType === 'Gather' && node.inputs[0]) gathered.add(node.inputs[0]);
  });
  const tables = [...gathered].filter((name) => {
    const t = initializers.get(name);
    return t !== undefined && t.dims.length === 2 && floatValues(t) !== undefined;
  });
  const copies: TiedCopy[] = [];
  for (const name of tables) {
    const table = initializers.get(name)!;
    const [rows, cols] = table.dims as [number, number];
    const values = floatValues(table)!;
    for (const [other, t] of initializers) {
      if (other === name || gathered.has(other) || t.dims.length !== 2) continue;
      const b = floatValues(t);
      if (b === undefined || b.length !== values.length) continue;
      const transposed = t.dims[0] === cols && t.dims[1] === rows;
      const straight = t.dims[0] === rows && t.dims[1] === cols;
      if (straight && sameValues(values, b, rows, cols, false))
        copies.push({ copy: other, of: name, transposed: false });
      else if (transposed && sameValues(values, b, rows, cols, true))
        copies.push({ copy: other, of: name, transposed: true });
    }
  }
  return { tables, copies };
}
