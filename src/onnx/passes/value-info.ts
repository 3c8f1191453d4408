/** Keeps value_info in step with the values a graph still defines. */
import { definedNames } from '../graph-index.js';
import type { Graph } from '../ir.js';

/** Drops value_info entries for names the graph no longer defines; same object when none are stale. */
export function dropStaleValueInfo(graph: Graph): Graph {
  const defined = definedNames(graph);
  const kept = graph.valueInfo.filter((v) => defined.has(v.name));
  return kept.length === graph.valueInfo.length ? graph : { ...graph, valueInfo: kept };
}
