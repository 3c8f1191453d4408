/** An independent reference for head pruning: the dense model with the removed heads' weights set to zero. */
import type { StructuredPruneReport } from '../../../src/compress/prune/index.js';
import type { Graph } from '../../../src/onnx/index.js';
import { editWeight, init, zeroColumns, zeroRows } from './helpers.js';

/** The reference: every removed head's Q/K/V columns and output-projection rows set to zero. */
export function zeroRemovedHeads(graph: Graph, report: StructuredPruneReport): Graph {
  let g = graph;
  for (const block of report.blocks) {
    if (block.kind !== 'attention') continue;
    const out = block.weights[block.weights.length - 1]!;
    const dh = init(g, out).dims[0]! / block.units;
    for (const h of block.removed) {
      for (const w of block.weights.slice(0, -1)) {
        g = editWeight(g, w, (data, dims) => {
          // a k/v-less block (cross-attention over the past) lists q alone; fused ones are not in this model
          for (let part = 0; part < dims[1]! / (block.units * dh); part++)
            zeroColumns(data, dims, part * block.units * dh + h * dh, dh);
        });
      }
      g = editWeight(g, out, (data, dims) => zeroRows(data, dims, h * dh, dh));
    }
  }
  return g;
}
