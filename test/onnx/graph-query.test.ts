/**
 * Graph queries: GraphIndex (producers, consumers incl. implicit subgraph reads, constant values),
 * outerReferences / nodeReads, topologicalOrder stability, walkGraphs / allNodes over nested subgraphs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TlcError } from '../../src/errors/index.js';
import {
  allNodes,
  attr,
  boolTensor,
  DataType,
  float32Tensor,
  type Graph,
  GraphBuilder,
  hasSubgraphs,
  indexGraph,
  isTopologicallySorted,
  type Model,
  mapNodeSubgraphs,
  type Node,
  nodeReads,
  outerReferences,
  topologicalOrder,
  walkGraphs,
} from '../../src/onnx/index.js';
import { branch, nodeNamed } from '../helpers/graph.js';
import { boolScalar, f32, runModel } from '../helpers/ort.js';

function names(nodes: readonly Node[]): string[] {
  return nodes.map((n) => n.name);
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort();
}

function plainNode(name: string, opType: string, inputs: string[], outputs: string[]): Node {
  return { name, opType, domain: '', inputs, outputs, attributes: {} };
}

// ---------------------------------------------------------------------------------------------------------
// GraphIndex
// ---------------------------------------------------------------------------------------------------------

/**
 * x [4], c bool, initializer w, initializer `ov` overridden by a graph input of the same name, a Constant
 * node k; m = x*w; s = m+m; Split(s) → p0, p1; an If whose then branch reads m and k from the outer scope.
 */
function indexedGraph(): { graph: Graph; m: string; s: string; k: string; p0: string; p1: string } {
  const b = GraphBuilder.create();
  const x = b.input('x', DataType.FLOAT, [4]);
  const c = b.input('c', DataType.BOOL, []);
  b.input('ov', DataType.FLOAT, [4]);
  b.initializer(float32Tensor('w', [4], [1, 2, 3, 4]));
  const k = b.op('Constant', [], { value: attr.tensor(float32Tensor('kval', [], [7])) }, { name: 'const_k' });
  const m = b.op('Mul', [x, 'w'], {}, { name: 'mul' });
  const s = b.op('Add', [m, m], {}, { name: 'add_self' });
  const [p0, p1] = b.opMulti('Split', [s], { axis: attr.int(0) }, { name: 'split', outputs: 2 });
  assert.ok(p0 !== undefined && p1 !== undefined);
  const thenBranch = b.subgraph('then', (t) => {
    t.output(t.op('Add', [m, k], {}, { name: 'then_add' }), { elemType: DataType.FLOAT });
  });
  const elseBranch = b.subgraph('else', (e) => {
    e.output(e.op('Identity', ['ov'], {}, { name: 'else_id' }), { elemType: DataType.FLOAT });
  });
  const y = b.op(
    'If',
    [c],
    { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) },
    { name: 'if', outputs: ['y'] },
  );
  b.output(y, { elemType: DataType.FLOAT });
  b.output(p1);
  b.annotate(m, { elemType: DataType.FLOAT, shape: [4] });
  const built = b.build();
  const graph: Graph = {
    ...built,
    initializers: new Map([...built.initializers, ['ov', float32Tensor('ov', [4], [0, 0, 0, 0])]]),
  };
  return { graph, m, s, k, p0, p1 };
}

describe('GraphIndex', () => {
  it('finds producers with their output index', () => {
    const { graph, m, p0, p1, k } = indexedGraph();
    const index = indexGraph(graph);
    assert.equal(index.producer(m)?.node, nodeNamed(graph, 'mul'));
    assert.equal(index.producer(m)?.outputIndex, 0);
    assert.equal(index.producer(p0)?.node, nodeNamed(graph, 'split'));
    assert.equal(index.producer(p0)?.outputIndex, 0);
    assert.equal(index.producer(p1)?.node, nodeNamed(graph, 'split'));
    assert.equal(index.producer(p1)?.outputIndex, 1);
    assert.equal(index.producer(k)?.node.opType, 'Constant');
    assert.equal(index.producer('y')?.node.name, 'if');
    // Inputs and initializers have no producer node; neither do values defined only inside a subgraph.
    assert.equal(index.producer('x'), undefined);
    assert.equal(index.producer('w'), undefined);
    assert.equal(index.producer('then_add_output_0'), undefined);
    assert.equal(index.producer('nothing'), undefined);
    assert.equal(index.producers.size, 6);
  });

  it('lists consumers, once per node, including implicit reads from subgraphs', () => {
    const { graph, m, s, k, p0 } = indexedGraph();
    const index = indexGraph(graph);
    assert.deepEqual(names(index.consumersOf('x')), ['mul']);
    assert.deepEqual(names(index.consumersOf('w')), ['mul']);
    // add_self reads m twice but is listed once; the If reads m only from inside its then branch.
    assert.deepEqual(names(index.consumersOf(m)), ['add_self', 'if']);
    assert.deepEqual(names(index.consumersOf(s)), ['split']);
    assert.deepEqual(names(index.consumersOf(k)), ['if']);
    assert.deepEqual(names(index.consumersOf('ov')), ['if']);
    assert.deepEqual(names(index.consumersOf('c')), ['if']);
    assert.deepEqual(index.consumersOf(p0), []);
    assert.deepEqual(index.consumersOf('nothing'), []);
    // Values local to a subgraph are not consumers at this level.
    assert.deepEqual(index.consumersOf('then_add_output_0'), []);
  });

  it('answers constantValue for initializers and Constant nodes, not for overridable initializers', () => {
    const { graph, m, k } = indexedGraph();
    const index = indexGraph(graph);
    assert.equal(index.constantValue('w'), graph.initializers.get('w'));
    assert.deepEqual(Array.from(index.constantValue('w')?.data as Float32Array), [1, 2, 3, 4]);

    const kTensor = index.constantValue(k);
    assert.ok(kTensor);
    assert.equal(kTensor.dataType, DataType.FLOAT);
    assert.deepEqual(kTensor.dims, []);
    assert.deepEqual(Array.from(kTensor.data as Float32Array), [7]);

    // `ov` is an initializer, but a graph input of the same name can override it at run time.
    assert.ok(graph.initializers.has('ov'));
    assert.equal(index.constantValue('ov'), undefined);
    assert.equal(index.constantValue('x'), undefined);
    assert.equal(index.constantValue(m), undefined);
    assert.equal(index.constantValue('nothing'), undefined);
  });

  it('tracks graph inputs, outputs and value_info', () => {
    const { graph, m, p0, p1 } = indexedGraph();
    const index = indexGraph(graph);
    assert.deepEqual([...index.graphInputs.keys()], ['x', 'c', 'ov']);
    assert.equal(index.isGraphOutput('y'), true);
    assert.equal(index.isGraphOutput(p1), true);
    assert.equal(index.isGraphOutput(p0), false);
    assert.equal(index.isGraphOutput('x'), false);
    assert.deepEqual(sorted(index.valueInfo.keys()), sorted([m, 'x', 'c', 'ov', 'y', p1]));
    const mInfo = index.valueInfo.get(m)?.type;
    assert.ok(mInfo?.kind === 'tensor');
    assert.deepEqual(mInfo.shape, [4]);
  });

  it('is a snapshot: it does not see nodes added later', () => {
    const { graph } = indexedGraph();
    const index = indexGraph(graph);
    const grown: Graph = { ...graph, nodes: [...graph.nodes, plainNode('late', 'Neg', ['x'], ['late_out'])] };
    assert.equal(index.producer('late_out'), undefined);
    assert.deepEqual(names(indexGraph(grown).consumersOf('x')), ['mul', 'late']);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Nested subgraphs: If inside a Loop body
// ---------------------------------------------------------------------------------------------------------

/**
 * v = Loop(3 times, v0): v = If(flag, v + two, v - two); a second top-level If picks x or -x.
 * Graph tree: main → body (Loop) → then / else (If in body); main → then_1 / else_1 (second If).
 */
function nestedModel(): Model {
  const b = GraphBuilder.create();
  const v0 = b.input('v0', DataType.FLOAT, [3]);
  const flag = b.input('flag', DataType.BOOL, []);
  const trip = b.constantOf(DataType.INT64, [], [3], 'trip');
  const cond0 = b.constant(boolTensor('cond0', [], [true]));
  const two = b.constantOf(DataType.FLOAT, [], [2], 'two');
  const body = b.subgraph('body', (s) => {
    s.input('i', DataType.INT64, []);
    const condIn = s.input('cond_in', DataType.BOOL, []);
    const vIn = s.input('v_in', DataType.FLOAT, [3]);
    const thenBranch = s.subgraph('then', (t) => {
      t.output(t.op('Add', [vIn, two], {}, { name: 'then_add' }), { elemType: DataType.FLOAT });
    });
    const elseBranch = s.subgraph('else', (e) => {
      e.output(e.op('Sub', [vIn, two], {}, { name: 'else_sub' }), { elemType: DataType.FLOAT });
    });
    const condOut = s.op('Identity', [condIn], {}, { name: 'cond_pass' });
    const vOut = s.op(
      'If',
      [flag],
      { then_branch: attr.graph(thenBranch), else_branch: attr.graph(elseBranch) },
      { name: 'inner_if' },
    );
    s.output(condOut, { elemType: DataType.BOOL });
    s.output(vOut, { elemType: DataType.FLOAT });
  });
  const v = b.op('Loop', [trip, cond0, v0], { body: attr.graph(body) }, { name: 'loop', outputs: ['v'] });
  b.output(v, { elemType: DataType.FLOAT });
  const then1 = b.subgraph('then', (t) => {
    t.output(t.op('Identity', [v0], {}, { name: 'then1_id' }), { elemType: DataType.FLOAT });
  });
  const else1 = b.subgraph('else', (e) => {
    e.output(e.op('Neg', [v0], {}, { name: 'else1_neg' }), { elemType: DataType.FLOAT });
  });
  const z = b.op(
    'If',
    [flag],
    { then_branch: attr.graph(then1), else_branch: attr.graph(else1) },
    { name: 'outer_if', outputs: ['z'] },
  );
  b.output(z, { elemType: DataType.FLOAT });
  return b.toModel();
}

describe('nested subgraphs', () => {
  it('the nested model is valid: ORT computes v0 ± 3*2', async () => {
    const model = nestedModel();
    const v0 = f32([1, 2, 3], [3]);
    const onTrue = await runModel(model, { v0, flag: boolScalar(true) });
    assert.deepEqual(Array.from(onTrue.v?.data as Float32Array), [7, 8, 9]);
    assert.deepEqual(Array.from(onTrue.z?.data as Float32Array), [1, 2, 3]);
    const onFalse = await runModel(model, { v0, flag: boolScalar(false) });
    assert.deepEqual(Array.from(onFalse.v?.data as Float32Array), [-5, -4, -3]);
    assert.deepEqual(Array.from(onFalse.z?.data as Float32Array), [-1, -2, -3]);
  });

  it('walkGraphs visits every graph depth first with its depth', () => {
    const graph = nestedModel().graph;
    const visited: [string, number][] = [];
    walkGraphs(graph, (g, depth) => visited.push([g.name, depth]));
    assert.deepEqual(visited, [
      ['main', 0],
      ['body', 1],
      ['then', 2],
      ['else', 2],
      ['then_1', 1],
      ['else_1', 1],
    ]);
  });

  it('walkGraphs also descends into GRAPHS attributes', () => {
    const graph = nestedModel().graph;
    const loop = nodeNamed(graph, 'loop');
    const holder: Node = {
      ...plainNode('holder', 'Custom', [], ['holder_out']),
      domain: 'test.domain',
      attributes: {
        graphs: attr.graphs([branch(loop, 'body'), branch(nodeNamed(graph, 'outer_if'), 'else_branch')]),
      },
    };
    const wrapped: Graph = { ...graph, name: 'wrapped', nodes: [holder] };
    const visited: [string, number][] = [];
    walkGraphs(wrapped, (g, depth) => visited.push([g.name, depth]));
    assert.deepEqual(visited, [
      ['wrapped', 0],
      ['body', 1],
      ['then', 2],
      ['else', 2],
      ['else_1', 1],
    ]);
    assert.equal(allNodes(wrapped).length, 1 + 4 + 1);
  });

  it('allNodes counts the nodes of every level', () => {
    const graph = nestedModel().graph;
    const all = allNodes(graph);
    // main: loop, outer_if; body: cond_pass, inner_if; then/else: 1 each; then_1/else_1: 1 each
    assert.equal(all.length, 8);
    assert.deepEqual(names(all), [
      'loop',
      'outer_if',
      'cond_pass',
      'inner_if',
      'then_add',
      'else_sub',
      'then1_id',
      'else1_neg',
    ]);
    assert.equal(graph.nodes.length, 2);
  });

  it('outerReferences lists what each level reads from enclosing scopes', () => {
    const graph = nestedModel().graph;
    const body = branch(nodeNamed(graph, 'loop'), 'body');
    const innerIf = nodeNamed(body, 'inner_if');
    const innerThen = branch(innerIf, 'then_branch');
    const outerThen = branch(nodeNamed(graph, 'outer_if'), 'then_branch');

    assert.deepEqual(sorted(outerReferences(innerThen)), ['two', 'v_in']);
    // v_in is a body input, so only `two` (read two levels down) and `flag` escape the body.
    assert.deepEqual(sorted(outerReferences(body)), ['flag', 'two']);
    assert.deepEqual(sorted(outerReferences(outerThen)), ['v0']);
    // A well-formed main graph reads nothing from outside.
    assert.deepEqual(sorted(outerReferences(graph)), []);
  });

  it('outerReferences reports undefined values and outputs that name outer values', () => {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [3]);
    b.output(b.op('Neg', [x], {}, { outputs: ['y'] }));
    const base = b.build();
    const broken: Graph = {
      ...base,
      nodes: [...base.nodes, plainNode('reads_ghost', 'Add', ['x', 'ghost'], ['g_out'])],
      outputs: [...base.outputs, { name: 'ghost_out' }],
    };
    assert.deepEqual(sorted(outerReferences(broken)), ['ghost', 'ghost_out']);
  });

  it('nodeReads includes explicit inputs and the outer references of subgraphs', () => {
    const graph = nestedModel().graph;
    const loop = nodeNamed(graph, 'loop');
    assert.deepEqual(sorted(new Set(nodeReads(loop))), ['cond0', 'flag', 'trip', 'two', 'v0']);
    assert.deepEqual(loop.inputs, ['trip', 'cond0', 'v0']);
    const body = branch(loop, 'body');
    assert.deepEqual(sorted(new Set(nodeReads(nodeNamed(body, 'inner_if')))), ['flag', 'two', 'v_in']);
    // Omitted optional inputs ('') are not reads.
    assert.deepEqual(nodeReads(plainNode('clip', 'Clip', ['a', '', 'c'], ['o'])), ['a', 'c']);
  });

  it('GraphIndex counts a read two levels down as a use by the outer node', () => {
    const graph = nestedModel().graph;
    const index = indexGraph(graph);
    assert.deepEqual(names(index.consumersOf('two')), ['loop']);
    assert.deepEqual(names(index.consumersOf('flag')), ['loop', 'outer_if']);
    assert.deepEqual(names(index.consumersOf('v0')), ['loop', 'outer_if']);
    const bodyIndex = indexGraph(branch(nodeNamed(graph, 'loop'), 'body'));
    assert.deepEqual(names(bodyIndex.consumersOf('v_in')), ['inner_if']);
    assert.deepEqual(names(bodyIndex.consumersOf('cond_in')), ['cond_pass']);
    assert.deepEqual(bodyIndex.consumersOf('i'), []);
  });

  it('hasSubgraphs and mapNodeSubgraphs', () => {
    const graph = nestedModel().graph;
    const loop = nodeNamed(graph, 'loop');
    assert.equal(hasSubgraphs(loop), true);
    assert.equal(hasSubgraphs(plainNode('n', 'Neg', ['x'], ['y'])), false);
    // Identity transform: the same node object comes back.
    assert.equal(
      mapNodeSubgraphs(loop, (g) => g),
      loop,
    );
    const renamed = mapNodeSubgraphs(loop, (g) => ({ ...g, name: `${g.name}_x` }));
    assert.notEqual(renamed, loop);
    assert.equal(branch(renamed, 'body').name, 'body_x');
    assert.equal(branch(loop, 'body').name, 'body');
  });
});

// ---------------------------------------------------------------------------------------------------------
// topologicalOrder
// ---------------------------------------------------------------------------------------------------------

describe('topologicalOrder', () => {
  function chainGraph(): Graph {
    const b = GraphBuilder.create();
    const x = b.input('x', DataType.FLOAT, [3]);
    const a = b.op('Neg', [x], {}, { name: 'a' });
    const c = b.op('Abs', [a], {}, { name: 'b' });
    const d = b.op('Exp', [x], {}, { name: 'c' });
    b.output(b.op('Add', [c, d], {}, { name: 'd' }));
    return b.build();
  }

  it('returns an already sorted graph in the same order (same node objects)', () => {
    const graph = chainGraph();
    const order = topologicalOrder(graph);
    assert.equal(order.length, graph.nodes.length);
    order.forEach((n, i) => {
      assert.equal(n, graph.nodes[i]);
    });
    assert.equal(isTopologicallySorted(graph), true);
    // A fresh array, not the graph's own.
    assert.notEqual(order, graph.nodes);
  });

  it('keeps the original order among independent nodes', () => {
    const nodes = ['zeta', 'alpha', 'mid'].map((n) => plainNode(n, 'Neg', ['x'], [`${n}_out`]));
    const graph: Graph = { ...chainGraph(), nodes };
    assert.deepEqual(names(topologicalOrder(graph)), ['zeta', 'alpha', 'mid']);
  });

  it('moves only what must move, otherwise preferring the original position', () => {
    const graph: Graph = {
      ...chainGraph(),
      nodes: [
        plainNode('n3', 'Neg', ['n2_out'], ['n3_out']),
        plainNode('n1', 'Neg', ['x'], ['n1_out']),
        plainNode('n2', 'Neg', ['x'], ['n2_out']),
        plainNode('n4', 'Neg', ['x'], ['n4_out']),
      ],
    };
    assert.equal(isTopologicallySorted(graph), false);
    const order = topologicalOrder(graph);
    assert.deepEqual(names(order), ['n1', 'n2', 'n3', 'n4']);
    assert.equal(isTopologicallySorted({ ...graph, nodes: order }), true);
  });

  it('orders a node after the producer it reads only from inside a subgraph', () => {
    const graph = nestedModel().graph;
    const body = branch(nodeNamed(graph, 'loop'), 'body');
    // Inside the body, make the If come first and produce `two` locally after it.
    const innerIf = nodeNamed(body, 'inner_if');
    const condPass = nodeNamed(body, 'cond_pass');
    const makeTwo = plainNode('make_two', 'Identity', ['v_in'], ['two']);
    const shuffled: Graph = { ...body, nodes: [innerIf, condPass, makeTwo] };
    assert.equal(isTopologicallySorted(shuffled), false);
    assert.deepEqual(names(topologicalOrder(shuffled)), ['cond_pass', 'make_two', 'inner_if']);
  });

  it('throws GRAPH_CYCLE for a cycle and for a self-loop', () => {
    const base = chainGraph();
    const isCycle = (error: unknown): boolean => error instanceof TlcError && error.code === 'GRAPH_CYCLE';
    const cycle: Graph = {
      ...base,
      nodes: [
        plainNode('p', 'Add', ['x', 'q_out'], ['p_out']),
        plainNode('q', 'Neg', ['p_out'], ['q_out']),
        plainNode('free', 'Neg', ['x'], ['free_out']),
      ],
    };
    assert.throws(() => topologicalOrder(cycle), isCycle);
    assert.throws(
      () => topologicalOrder(cycle),
      (error: unknown) => error instanceof TlcError && /2 node\(s\)/.test(error.message),
    );
    const selfLoop: Graph = { ...base, nodes: [plainNode('self', 'Add', ['x', 'self_out'], ['self_out'])] };
    assert.throws(() => topologicalOrder(selfLoop), isCycle);
    assert.equal(isTopologicallySorted(selfLoop), false);
  });
});
