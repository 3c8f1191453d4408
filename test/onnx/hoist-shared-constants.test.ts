/**
 * Constants that several subgraphs of one node hold alike are stored once in the enclosing graph: checked on a
 * hand-built If (ONNX Runtime gives the same answers on both branches before and after), and on Optimum's merged
 * seq2seq decoder, whose int8 variant used to store each quantized weight once per branch.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dynamicInt8, quantizeModel } from '../../src/compress/quantize/index.js';
import { DataType } from '../../src/onnx/dtype.js';
import { loadModel, saveModel } from '../../src/onnx/io.js';
import type { Graph, Model, Node, Tensor } from '../../src/onnx/ir.js';
import { hoistSharedConstants } from '../../src/onnx/passes/hoist-shared-constants.js';
import { tensorBytes } from '../../src/onnx/tensor.js';
import { walkGraphs } from '../../src/onnx/traverse.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import { writeSeq2SeqGraphs } from '../helpers/merged-decoder.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-hoist-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const weight = (name: string, seed: number): Tensor => ({
  name,
  dataType: DataType.FLOAT,
  dims: [4, 4],
  data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.7 + seed)),
});

/** A branch computing x · W (+ x · V for the else branch, whose V differs). */
function branch(prefix: string, w: Tensor, extra?: Tensor): Graph {
  const nodes: Node[] = [
    {
      name: `${prefix}mm`,
      opType: 'MatMul',
      domain: '',
      inputs: ['x', w.name],
      outputs: [`${prefix}y`],
      attributes: {},
    },
  ];
  const initializers = new Map([[w.name, w]]);
  let out = `${prefix}y`;
  if (extra !== undefined) {
    initializers.set(extra.name, extra);
    nodes.push(
      {
        name: `${prefix}mm2`,
        opType: 'MatMul',
        domain: '',
        inputs: ['x', extra.name],
        outputs: [`${prefix}z`],
        attributes: {},
      },
      {
        name: `${prefix}add`,
        opType: 'Add',
        domain: '',
        inputs: [`${prefix}y`, `${prefix}z`],
        outputs: [`${prefix}out`],
        attributes: {},
      },
    );
    out = `${prefix}out`;
  }
  const shape = [2, 4];
  return {
    name: prefix,
    nodes,
    inputs: [],
    outputs: [{ name: out, type: { kind: 'tensor', elemType: DataType.FLOAT, shape } }],
    valueInfo: [],
    initializers,
    sparseInitializers: [],
  };
}

function ifModel(): Model {
  const ifNode: Node = {
    name: 'if',
    opType: 'If',
    domain: '',
    inputs: ['cond'],
    outputs: ['y'],
    attributes: {
      then_branch: { type: 'GRAPH', value: branch('then/', weight('then/W', 1)) },
      else_branch: { type: 'GRAPH', value: branch('else/', weight('else/W', 1), weight('else/V', 2)) },
    },
  };
  return {
    irVersion: 8,
    opsetImports: new Map([['', 17]]),
    producerName: 'test',
    graph: {
      name: 'g',
      nodes: [ifNode],
      inputs: [
        { name: 'cond', type: { kind: 'tensor', elemType: DataType.BOOL, shape: [1] } },
        { name: 'x', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [2, 4] } },
      ],
      outputs: [{ name: 'y', type: { kind: 'tensor', elemType: DataType.FLOAT, shape: [2, 4] } }],
      valueInfo: [],
      initializers: new Map(),
      sparseInitializers: [],
    },
  };
}

async function run(model: Model, cond: boolean): Promise<Float32Array> {
  const file = join(dir, `m${Math.random().toString(36).slice(2)}.onnx`);
  saveModel(model, file);
  const session = await createSession(file, { threads: 1 });
  try {
    const x = Float32Array.from({ length: 8 }, (_, i) => i / 3 - 1);
    const out = await runSession(session, {
      cond: ortTensor('bool', Uint8Array.of(cond ? 1 : 0), [1]),
      x: ortTensor('float32', x, [2, 4]),
    });
    return out.y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function initializerCounts(graph: Graph): number[] {
  const counts: number[] = [];
  walkGraphs(graph, (g) => counts.push(g.initializers.size));
  return counts;
}

describe('hoist shared constants', () => {
  it('stores a weight both branches hold alike once, in the main graph; a weight one branch holds stays', async () => {
    const model = ifModel();
    const { graph, changes } = hoistSharedConstants(model.graph);
    assert.deepEqual(initializerCounts(graph), [1, 0, 1]); // main: W; then: none; else: V
    assert.equal(changes.length, 1);
    assert.match(changes[0]!.detail, /one copy for 2 subgraphs of "if"/);
    const hoisted = { ...model, graph };
    for (const cond of [true, false]) assert.deepEqual(await run(hoisted, cond), await run(model, cond));
  });

  it('leaves a graph without shared copies as it was', () => {
    const model = ifModel();
    const elseBranch = branch('else/', weight('else/W', 3));
    const g: Graph = {
      ...model.graph,
      nodes: [
        {
          ...model.graph.nodes[0]!,
          attributes: {
            ...model.graph.nodes[0]!.attributes,
            else_branch: { type: 'GRAPH', value: elseBranch },
          },
        },
      ],
    };
    const r = hoistSharedConstants(g);
    assert.equal(r.graph, g);
    assert.equal(r.changes.length, 0);
  });
});

describe('int8 of an Optimum merged decoder', () => {
  const onnx = join(dir, 'seq2seq');
  mkdirSync(onnx);
  writeSeq2SeqGraphs(onnx, 'both');
  /** Bytes of every initializer in the graph tree: at this tiny width the graph's nodes outweigh the weights. */
  const bytes = (m: Model) => {
    let total = 0;
    walkGraphs(m.graph, (g) => {
      for (const t of g.initializers.values()) total += tensorBytes(t).length;
    });
    return total;
  };
  const int8 = (m: Model) => quantizeModel(m, dynamicInt8, {}).model;

  it('stores each quantized weight once: its weights shrink as the split decoder’s do, within 2 points', () => {
    const merged = loadModel(join(onnx, 'decoder_model_merged.onnx'));
    const withPast = loadModel(join(onnx, 'decoder_with_past_model.onnx'));
    const mergedRatio = bytes(int8(merged)) / bytes(merged);
    const splitRatio = bytes(int8(withPast)) / bytes(withPast);
    assert.ok(
      Math.abs(mergedRatio - splitRatio) <= 0.02,
      `merged int8 ${(100 * mergedRatio).toFixed(1)}% of fp32, split ${(100 * splitRatio).toFixed(1)}%`,
    );
    const quantized = int8(merged);
    const int8Tables: string[] = [];
    walkGraphs(quantized.graph, (g) => {
      for (const t of g.initializers.values()) if (t.dataType === DataType.INT8) int8Tables.push(t.name);
    });
    assert.ok(int8Tables.length > 0);
    assert.equal(new Set(int8Tables).size, int8Tables.length);
    assert.ok(
      [...quantized.graph.initializers.values()].some((t) => t.dataType === DataType.INT8),
      'the shared int8 weights live in the main graph',
    );
  });
});
