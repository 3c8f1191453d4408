/** Merges constants with identical type, shape and bytes: initializers, and Constant nodes. */
import { createHash } from 'node:crypto';
import type { Graph, Node, Tensor } from '../ir.js';
import { tensorBytes, tensorsEqual } from '../tensor.js';
import { mapNodeSubgraphs } from '../traverse.js';
import { applied, declined, type PassChange, type PassResult } from './pass.js';
import { mapNames } from './rename.js';

const PASS = 'dedupe-constants';

export interface DedupeOptions {
  /** Only merge tensors of at least this many elements (default 1: everything). */
  readonly minElements?: number;
  readonly recurse?: boolean;
}

function fingerprint(t: Tensor): string {
  const h = createHash('sha1');
  h.update(`${t.dataType}:${t.dims.join('x')}:`);
  if (Array.isArray(t.data))
    for (const s of t.data as readonly Uint8Array[]) h.update(`${s.length}:`).update(s);
  else h.update(tensorBytes(t));
  return h.digest('hex');
}

function elementCount(t: Tensor): number {
  return t.dims.reduce((a, b) => a * b, 1);
}

export function dedupeConstants(graph: Graph, options: DedupeOptions = {}): PassResult {
  const changes: PassChange[] = [];
  return { graph: dedupe(graph, options, changes, true), changes };
}

function dedupe(graph: Graph, options: DedupeOptions, changes: PassChange[], isMain: boolean): Graph {
  const minElements = options.minElements ?? 1;
  let current = graph;
  if (options.recurse ?? true) {
    const nodes = graph.nodes.map((n) => mapNodeSubgraphs(n, (g) => dedupe(g, options, changes, false)));
    if (nodes.some((n, i) => n !== graph.nodes[i])) current = { ...graph, nodes };
  }
  const inputs = new Set(current.inputs.map((v) => v.name));
  const outputs = new Set(current.outputs.map((v) => v.name));
  const canonical = new Map<string, Tensor[]>(); // fingerprint → kept tensors (collisions compared byte-wise)
  const replace = new Map<string, string>();
  const keep = (t: Tensor, name: string): void => {
    if (elementCount(t) < minElements) return;
    if (inputs.has(name)) {
      changes.push(declined(PASS, name, 'a graph input can override this initializer'));
      return;
    }
    const key = fingerprint(t);
    const kept = canonical.get(key);
    const same = kept?.find((k) => tensorsEqual(k, t));
    if (same === undefined) {
      canonical.set(key, [...(kept ?? []), { ...t, name }]);
      return;
    }
    if (isMain && outputs.has(name)) {
      changes.push(declined(PASS, name, 'duplicate, but it is a graph output'));
      return;
    }
    replace.set(name, same.name);
    changes.push(applied(PASS, name, `merged into identical constant "${same.name}"`));
  };
  for (const [name, t] of current.initializers) keep(t, name);
  for (const node of current.nodes) {
    const value = node.attributes.value;
    if (node.opType === 'Constant' && node.domain === '' && value?.type === 'TENSOR' && node.outputs[0]) {
      keep(value.value, node.outputs[0]);
    }
  }
  if (replace.size === 0) return current;
  const initializers = new Map([...current.initializers].filter(([name]) => !replace.has(name)));
  const nodes = current.nodes.filter(
    (n: Node) => !(n.opType === 'Constant' && replace.has(n.outputs[0] ?? '')),
  );
  const pruned: Graph = {
    ...current,
    nodes,
    initializers,
    valueInfo: current.valueInfo.filter((v) => !replace.has(v.name)),
  };
  return mapNames(pruned, (n) => replace.get(n) ?? n, { definitions: false, mainOutputs: false }, isMain);
}
