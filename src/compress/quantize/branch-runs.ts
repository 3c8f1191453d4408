/**
 * Calibration inside If branches. A value computed in a branch cannot be a graph output, so calibrate.ts cannot
 * read it from a run of the model as written. Instead it runs the model once per branch with each If whose
 * condition is a graph input replaced by that branch, inlined: the branch's nodes where the If was, its
 * initializers moved up, and an Identity from each branch output to the If's output. Every branch value is then
 * a main-graph value, under its own name (the name staticQdq looks it up by inside the branch). The feeds stay
 * as they are: an inlined model computes its branch whatever the condition input says, so Optimum's merged
 * decoder is calibrated on its first step (else: no past) and its cached step (then) from the same feeds.
 *
 * Branches may name values alike (two exports merged without renaming): such a value is ranged over both runs,
 * the union of what each branch sees, and staticQdq uses that range in both.
 *
 * An If whose condition is computed is left alone: forcing the branch its data does not select could fail or
 * see values it never sees in use, so its branch values get no range (staticQdq declines them with the reason).
 */
import type { Graph, Model, Node, Tensor } from '../../onnx/ir.js';

/** At most this many distinct condition inputs (2^n runs): a merged decoder has one. */
const MAX_CONDITIONS = 3;

/** The graph inputs that are the condition of a top-level If (boolean flags such as use_cache_branch). */
function conditionInputs(graph: Graph): string[] {
  const inputs = new Set(graph.inputs.map((v) => v.name));
  const conditions = new Set<string>();
  for (const n of graph.nodes) {
    const cond = n.inputs[0];
    if (n.opType === 'If' && n.domain === '' && cond !== undefined && inputs.has(cond)) conditions.add(cond);
  }
  return [...conditions];
}

/** The If's chosen branch as nodes of the enclosing graph, or undefined where it cannot be inlined as is. */
function inlineIf(node: Node, branch: Graph, initializers: Map<string, Tensor>): Node[] | undefined {
  // A branch initializer shadowing an outer one of the same name would change what the outer graph reads.
  for (const [name, t] of branch.initializers) {
    const outer = initializers.get(name);
    if (outer !== undefined && outer !== t) return undefined;
  }
  if (branch.sparseInitializers.length > 0 || branch.outputs.length !== node.outputs.length) return undefined;
  for (const [name, t] of branch.initializers) initializers.set(name, t);
  const passOn: Node[] = branch.outputs.flatMap((o, i) => {
    const out = node.outputs[i]!;
    if (out === '') return [];
    return [
      {
        name: `${out}/inlined`,
        opType: 'Identity',
        domain: '',
        inputs: [o.name],
        outputs: [out],
        attributes: {},
      },
    ];
  });
  return [...branch.nodes, ...passOn];
}

/** The graph with every If on one of `choice`'s conditions replaced by the branch the choice names. */
function inlineBranches(graph: Graph, choice: ReadonlyMap<string, boolean>): Graph {
  const initializers = new Map(graph.initializers);
  const nodes: Node[] = [];
  for (const n of graph.nodes) {
    const taken = n.opType === 'If' && n.domain === '' ? choice.get(n.inputs[0] ?? '') : undefined;
    const attr = taken === undefined ? undefined : n.attributes[taken ? 'then_branch' : 'else_branch'];
    const inlined = attr?.type === 'GRAPH' ? inlineIf(n, attr.value, initializers) : undefined;
    nodes.push(...(inlined ?? [n]));
  }
  return { ...graph, nodes, initializers };
}

/**
 * The models calibration runs to see every value it can: the model itself when no If hangs on a graph input,
 * otherwise one model per combination of branches (each with those Ifs inlined).
 */
export function calibrationRuns(model: Model): Model[] {
  const conditions = conditionInputs(model.graph).slice(0, MAX_CONDITIONS);
  if (conditions.length === 0) return [model];
  const runs: Model[] = [];
  for (let bits = 0; bits < 1 << conditions.length; bits++) {
    const choice = new Map(conditions.map((c, i) => [c, ((bits >> i) & 1) === 1]));
    runs.push({ ...model, graph: inlineBranches(model.graph, choice) });
  }
  return runs;
}
