/**
 * Which nodes a compression pass may touch: include/exclude lists by node name and by op type, applied in
 * one place. A pattern is a RegExp or a glob string (`*` any run of characters, `/` included, since exporter
 * names look like `/blocks.0/att/q/MatMul`; `?` one character; everything else literal, whole name matched).
 *
 * Rules, in order: an exclude match rejects; a non-empty include list must match; otherwise the node is
 * selected. Node and op lists combine with AND (`includeOps: ['MatMul'], excludeNodes: ['*head*']`).
 */
import type { Node } from '../../onnx/ir.js';

export type Pattern = string | RegExp;

export interface NodeSelection {
  readonly includeNodes?: readonly Pattern[];
  readonly excludeNodes?: readonly Pattern[];
  readonly includeOps?: readonly Pattern[];
  readonly excludeOps?: readonly Pattern[];
}

export type SelectionVerdict =
  | { readonly selected: true }
  | { readonly selected: false; readonly reason: string };

export type NodeSelector = (node: Node) => SelectionVerdict;

const SELECTED: SelectionVerdict = { selected: true };

/** A glob as an anchored RegExp (see the module comment for the syntax). */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.+()[\]{}|]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function compile(patterns: readonly Pattern[] | undefined): { test: (s: string) => Pattern | undefined } {
  const compiled = (patterns ?? []).map((p) => ({
    pattern: p,
    // A RegExp with the g or y flag keeps state between test() calls; use a stateless copy.
    re: typeof p === 'string' ? globToRegExp(p) : new RegExp(p.source, p.flags.replace(/[gy]/g, '')),
  }));
  return { test: (s) => compiled.find((c) => c.re.test(s))?.pattern };
}

function show(p: Pattern): string {
  return typeof p === 'string' ? `"${p}"` : String(p);
}

/** Compiles a selection once; the returned function says whether (and if not, why not) a node is selected. */
export function compileSelection(selection: NodeSelection = {}): NodeSelector {
  const includeNodes = compile(selection.includeNodes);
  const excludeNodes = compile(selection.excludeNodes);
  const includeOps = compile(selection.includeOps);
  const excludeOps = compile(selection.excludeOps);
  const hasIncludeNodes = (selection.includeNodes?.length ?? 0) > 0;
  const hasIncludeOps = (selection.includeOps?.length ?? 0) > 0;
  return (node) => {
    const byOp = excludeOps.test(node.opType);
    if (byOp !== undefined) return { selected: false, reason: `op type excluded by ${show(byOp)}` };
    const byName = excludeNodes.test(node.name);
    if (byName !== undefined) return { selected: false, reason: `node excluded by ${show(byName)}` };
    if (hasIncludeOps && includeOps.test(node.opType) === undefined)
      return { selected: false, reason: 'op type not in includeOps' };
    if (hasIncludeNodes && includeNodes.test(node.name) === undefined)
      return { selected: false, reason: 'node not in includeNodes' };
    return SELECTED;
  };
}
