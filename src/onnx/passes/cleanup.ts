/** The standard clean-up: merge duplicate constants, drop dead nodes and unused initializers, sort. */
import type { Graph } from '../ir.js';
import { removeDeadNodes } from './dead-nodes.js';
import { dedupeConstants } from './dedupe-constants.js';
import type { PassChange, PassResult } from './pass.js';
import { sortTopologically } from './sort.js';
import { removeUnusedInitializers } from './unused-initializers.js';

export interface CleanupOptions {
  readonly dedupe?: boolean;
}

export function cleanup(graph: Graph, options: CleanupOptions = {}): PassResult {
  const changes: PassChange[] = [];
  let g = graph;
  const run = (result: PassResult) => {
    g = result.graph;
    changes.push(...result.changes);
  };
  if (options.dedupe ?? true) run(dedupeConstants(g));
  run(removeDeadNodes(g));
  run(removeUnusedInitializers(g));
  run(sortTopologically(g));
  return { graph: g, changes };
}
