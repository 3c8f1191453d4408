/** Test helpers for looking into graphs. */
import assert from 'node:assert/strict';
import type { Graph, Node } from '../../src/onnx/ir.js';

export function nodeNamed(graph: Graph, name: string): Node {
  const node = graph.nodes.find((n) => n.name === name);
  assert.ok(node, `node "${name}" not found in graph "${graph.name}"`);
  return node;
}

/** The subgraph held in a node's GRAPH attribute. */
export function branch(node: Node, attribute: string): Graph {
  const a = node.attributes[attribute];
  assert.ok(a !== undefined && a.type === 'GRAPH', `${node.name}.${attribute} is not a GRAPH attribute`);
  return a.value;
}
