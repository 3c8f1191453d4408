/** Renaming values across a graph and all of its subgraphs. */

import { allDefinedNames } from '../graph-index.js';
import type { Graph, Node, SparseTensor, Tensor, ValueInfo } from '../ir.js';
import { applied, declined, type PassChange, type PassResult } from './pass.js';

const PASS = 'rename-values';

export interface RenameOptions {
  /** old name → new name */
  readonly mapping: ReadonlyMap<string, string>;
}

/**
 * Renames values everywhere they appear: definitions, uses, graph inputs/outputs, value_info and
 * initializers, in the graph and its subgraphs. A rename whose source does not exist or whose target is
 * already taken is declined.
 */
export function renameValues(graph: Graph, options: RenameOptions): PassResult {
  const changes: PassChange[] = [];
  const names = allDefinedNames(graph);
  const verdicts = new Map<string, PassChange>();
  const pending = new Map<string, string>();
  for (const [from, to] of options.mapping) {
    if (from === to) continue;
    if (!names.has(from)) verdicts.set(from, declined(PASS, from, 'no value of this name exists'));
    else if (to === '') verdicts.set(from, declined(PASS, from, 'the new name is empty'));
    else pending.set(from, to);
  }
  // A target is free only if its current owner really moves away; declining one rename can make another
  // collide (a chain h→y, y→w where w is taken), so repeat until the set is stable.
  for (let stable = false; !stable; ) {
    stable = true;
    for (const [from, to] of pending) {
      if (names.has(to) && !pending.has(to)) {
        pending.delete(from);
        verdicts.set(from, declined(PASS, from, `"${to}" is already used`));
        stable = false;
      }
    }
  }
  const effective = pending;
  for (const [from, to] of effective) verdicts.set(from, applied(PASS, from, `renamed to "${to}"`));
  // Report in the caller's order.
  for (const from of options.mapping.keys()) {
    const verdict = verdicts.get(from);
    if (verdict !== undefined) changes.push(verdict);
  }
  const targets = [...effective.values()];
  if (new Set(targets).size !== targets.length) {
    return { graph, changes: [declined(PASS, '*', 'two values would get the same new name')] };
  }
  if (effective.size === 0) return { graph, changes };
  return {
    graph: mapNames(graph, (n) => effective.get(n) ?? n, { definitions: true, mainOutputs: true }),
    changes,
  };
}

export interface MapNamesScope {
  /** Rename where values are defined (inputs, initializers, node outputs) as well as where they are read. */
  readonly definitions: boolean;
  /** Rename the main graph's outputs (its interface). Subgraph outputs are positional and always renamed. */
  readonly mainOutputs: boolean;
}

/** Applies `rename` to value names throughout the graph tree. Pure; returns a new graph. */
export function mapNames(
  graph: Graph,
  rename: (name: string) => string,
  scope: MapNamesScope,
  isMain = true,
): Graph {
  const r = (n: string) => (n === '' ? n : rename(n));
  const renameInfo = (v: ValueInfo): ValueInfo => (r(v.name) === v.name ? v : { ...v, name: r(v.name) });
  const renameTensor = (t: Tensor): Tensor => (r(t.name) === t.name ? t : { ...t, name: r(t.name) });
  const renameSparse = (s: SparseTensor): SparseTensor => ({ ...s, values: renameTensor(s.values) });
  const nodes = graph.nodes.map((node): Node => {
    const attributes = Object.fromEntries(
      Object.entries(node.attributes).map(([k, a]) => {
        if (a.type === 'GRAPH') return [k, { ...a, value: mapNames(a.value, rename, scope, false) }];
        if (a.type === 'GRAPHS')
          return [k, { ...a, value: a.value.map((g) => mapNames(g, rename, scope, false)) }];
        return [k, a];
      }),
    );
    return {
      ...node,
      inputs: node.inputs.map(r),
      outputs: scope.definitions ? node.outputs.map(r) : node.outputs,
      attributes,
    };
  });
  const defs = scope.definitions;
  const renameOutputs = !isMain || scope.mainOutputs;
  return {
    ...graph,
    nodes,
    inputs: defs ? graph.inputs.map(renameInfo) : graph.inputs,
    outputs: renameOutputs ? graph.outputs.map(renameInfo) : graph.outputs,
    valueInfo: defs ? graph.valueInfo.map(renameInfo) : graph.valueInfo,
    initializers: defs
      ? new Map([...graph.initializers.values()].map((t) => renameTensor(t)).map((t) => [t.name, t]))
      : graph.initializers,
    sparseInitializers: defs ? graph.sparseInitializers.map(renameSparse) : graph.sparseInitializers,
  };
}
