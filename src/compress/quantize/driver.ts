/**
 * The one driver behind every quantization pass: it walks the graph (If/Loop/Scan subgraphs first), asks the
 * selection whether a node may be touched, calls the op's handler from the pass's table, and applies the
 * returned rewrites: replacement nodes go where the replaced ones were, shared nodes and tensors are added
 * once, and float constants no longer read by anything are dropped. Two rewrites that claim the same node
 * are not both applied: the later one is declined with the reason.
 */
import { TlcError } from '../../errors/index.js';
import { allDefinedNames, definedNames, GraphIndex, nodeReads } from '../../onnx/graph-index.js';
import type { Graph, Node, Tensor } from '../../onnx/ir.js';
import { NameAllocator } from '../../onnx/names.js';
import { applied, declined, type PassChange, type PassResult } from '../../onnx/passes/pass.js';
import { dropStaleValueInfo } from '../../onnx/passes/value-info.js';
import { topologicalOrder } from '../../onnx/topo.js';
import { mapNodeSubgraphs, walkGraphs } from '../../onnx/traverse.js';
import { compileSelection, type NodeSelection, type NodeSelector } from '../common/selection.js';
import type { HandlerContext, HandlerTable, Rewrite } from './rewrite.js';
import { nodeLabel } from './rewrite.js';

/** Options every quantization pass takes: the node selection and the model's opset imports. */
export interface QuantizeCommonOptions extends NodeSelection {
  /**
   * The model's opset imports (domain → version): passes check them (per-axis QuantizeLinear needs opset
   * 13). `quantizeModel` fills this in.
   */
  readonly opsets?: ReadonlyMap<string, number>;
}

/** A pass result plus the opset imports the rewritten graph needs (`quantizeModel` merges them). */
export interface QuantizeResult extends PassResult {
  readonly opsets: ReadonlyMap<string, number>;
}

type ConstantLookup = (name: string) => Tensor | undefined;

interface DriverState<Options> {
  readonly pass: string;
  readonly handlers: HandlerTable<Options>;
  readonly options: Options & QuantizeCommonOptions;
  readonly select: NodeSelector;
  readonly used: Set<string>;
  readonly names: NameAllocator;
  readonly changes: PassChange[];
  /** Constants read by replaced nodes: dropped where they end up unread. */
  readonly touched: Set<string>;
  readonly domains: Set<string>;
}

export function runHandlers<Options>(
  graph: Graph,
  pass: string,
  handlers: HandlerTable<Options>,
  options: Options & QuantizeCommonOptions,
): QuantizeResult {
  const used = allDefinedNames(graph);
  walkGraphs(graph, (g) => {
    for (const n of g.nodes) if (n.name !== '') used.add(n.name);
  });
  const state: DriverState<Options> = {
    pass,
    handlers,
    options,
    select: compileSelection(options),
    used,
    names: new NameAllocator(used),
    changes: [],
    touched: new Set(),
    domains: new Set(),
  };
  const result = processGraph(graph, () => undefined, state);
  const opsets = new Map<string, number>();
  // New domains are com.microsoft (version 1 has every contrib op used here); a version the model imports stays.
  for (const d of state.domains) opsets.set(d, options.opsets?.get(d) ?? 1);
  return { graph: result, changes: state.changes, opsets };
}

function processGraph<Options>(graph: Graph, outer: ConstantLookup, state: DriverState<Options>): Graph {
  const outerIndex = new GraphIndex(graph);
  const defined = definedNames(graph);
  const lookup: ConstantLookup = (name) => (defined.has(name) ? outerIndex.constantValue(name) : outer(name));
  const recursed = graph.nodes.map((n) => mapNodeSubgraphs(n, (g) => processGraph(g, lookup, state)));
  const current: Graph = recursed.some((n, i) => n !== graph.nodes[i])
    ? { ...graph, nodes: recursed }
    : graph;
  const index = current === graph ? outerIndex : new GraphIndex(current);
  const memos = new Map<string, unknown>();
  const ctx: HandlerContext = {
    graph: current,
    index,
    constant: (name) => (defined.has(name) ? index.constantValue(name) : outer(name)),
    opset: (domain) => state.options.opsets?.get(domain),
    fresh: (base) => state.names.fresh(base),
    memo: <T>(key: string, make: () => T): T => {
      if (!memos.has(key)) memos.set(key, make());
      return memos.get(key) as T;
    },
    selected: (node) => state.select(node).selected,
  };
  const claimed = new Map<Node, string>();
  const rewrites: Rewrite[] = [];
  for (const node of current.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    if (!Object.hasOwn(state.handlers, node.opType)) continue;
    const target = nodeLabel(node);
    const verdict = state.select(node);
    if (!verdict.selected) {
      state.changes.push(declined(state.pass, target, verdict.reason));
      continue;
    }
    const result = state.handlers[node.opType]!(node, ctx, state.options);
    if (result.kind === 'skip') continue;
    if (result.kind === 'declined') {
      state.changes.push(declined(state.pass, target, result.reason));
      continue;
    }
    const { rewrite } = result;
    const clash = rewrite.remove.find((n) => claimed.has(n));
    if (clash !== undefined) {
      state.changes.push(
        declined(
          state.pass,
          target,
          `node "${nodeLabel(clash)}" is already rewritten by "${claimed.get(clash)}"`,
        ),
      );
      continue;
    }
    for (const n of rewrite.remove) claimed.set(n, target);
    rewrites.push(rewrite);
    state.changes.push(applied(state.pass, target, rewrite.detail));
    for (const note of result.notes ?? []) {
      const make = note.kind === 'applied' ? applied : declined;
      state.changes.push(make(state.pass, note.target, note.detail));
    }
  }
  if (rewrites.length > 0) return applyRewrites(current, rewrites, state);
  // A subgraph rewrite may have been the last reader of one of this graph's float weights.
  return current === graph ? graph : dropStaleValueInfo(dropUnreadConstants(current, state.touched));
}

function applyRewrites<Options>(
  graph: Graph,
  rewrites: readonly Rewrite[],
  state: DriverState<Options>,
): Graph {
  const position = new Map<Node, number>(graph.nodes.map((n, i) => [n, i]));
  // Each rewrite's nodes go where its last replaced node was: every value the replaced nodes read exists there.
  const insertAt = new Map<number, Rewrite[]>();
  const removed = new Set<Node>();
  for (const r of rewrites) {
    const last = Math.max(...r.remove.map((n) => position.get(n) ?? -1));
    if (last < 0)
      throw new TlcError('GRAPH_BUILD_FAILED', `${state.pass}: a rewrite removes no node of the graph`);
    insertAt.set(last, [...(insertAt.get(last) ?? []), r]);
    for (const n of r.remove) {
      removed.add(n);
      for (const i of n.inputs) if (i !== '') state.touched.add(i);
    }
  }
  const added = new Set<Node>();
  const nodes: Node[] = [];
  graph.nodes.forEach((n, i) => {
    if (!removed.has(n)) nodes.push(n);
    for (const r of insertAt.get(i) ?? []) {
      for (const a of r.add) {
        if (added.has(a)) continue;
        added.add(a);
        nodes.push(a);
        if (a.domain !== '') state.domains.add(a.domain);
      }
    }
  });
  const initializers = new Map(graph.initializers);
  for (const r of rewrites) {
    for (const t of r.initializers) {
      const existing = initializers.get(t.name);
      if (existing === t) continue;
      if (existing !== undefined)
        throw new TlcError('GRAPH_BUILD_FAILED', `${state.pass}: initializer "${t.name}" added twice`);
      initializers.set(t.name, t);
    }
  }
  let result: Graph = dropUnreadConstants({ ...graph, nodes, initializers }, state.touched);
  result = { ...result, nodes: topologicalOrder(result) };
  return dropStaleValueInfo(result);
}

/** Drops the touched initializers and Constant nodes that nothing reads any more. */
function dropUnreadConstants(graph: Graph, touched: ReadonlySet<string>): Graph {
  const read = new Set<string>(graph.outputs.map((v) => v.name));
  for (const n of graph.nodes) for (const name of nodeReads(n)) read.add(name);
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const unread = (name: string) => touched.has(name) && !read.has(name) && !inputs.has(name);
  const initializers = new Map([...graph.initializers].filter(([name]) => !unread(name)));
  const nodes = graph.nodes.filter(
    (n) => !(n.opType === 'Constant' && n.domain === '' && n.outputs.length === 1 && unread(n.outputs[0]!)),
  );
  return { ...graph, nodes, initializers };
}
