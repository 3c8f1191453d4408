/**
 * The standard inputs of Hugging Face exports, filled by meaning: a data table of declarations → values, and
 * the fixture with token_type_ids run through ONNX Runtime with its feeds completed, against zeros fed by hand.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sampleFeeds } from '../../src/compress/validate/sample-inputs.js';
import { createSession, ortTensor, runSession } from '../../src/ort/session.js';
import {
  isStandardInput,
  missingStandardInputs,
  standardInput,
  withStandardInputs,
} from '../../src/ort/standard-inputs.js';
import { TORCH_BERT } from '../helpers/foreign.js';
import { writeSegmentBert } from '../helpers/segment-bert.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-standard-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ids = (b: number, s: number) => ({ input_ids: { dims: [b, s] } });

describe('standard inputs by meaning', () => {
  const cases: [string, { name: string; type: string; shape: (number | string)[] }, number[], number[]][] = [
    [
      'token_type_ids: zeros',
      { name: 'token_type_ids', type: 'int64', shape: ['batch', 'sequence'] },
      [2, 3],
      [0, 0, 0, 0, 0, 0],
    ],
    [
      'position_ids: 0..n-1 per row',
      { name: 'position_ids', type: 'int64', shape: ['batch', 'sequence'] },
      [2, 3],
      [0, 1, 2, 0, 1, 2],
    ],
    [
      'a fixed first axis is kept',
      { name: 'position_ids', type: 'int32', shape: [1, -1] },
      [1, 3],
      [0, 1, 2],
    ],
    [
      'served signatures mark symbolic axes -1',
      { name: 'token_type_ids', type: 'int32', shape: [-1, -1] },
      [2, 3],
      [0, 0, 0, 0, 0, 0],
    ],
    [
      'no shape declared: [batch, sequence]',
      { name: 'position_ids', type: 'int64', shape: [] },
      [2, 3],
      [0, 1, 2, 0, 1, 2],
    ],
  ];
  for (const [what, input, dims, values] of cases)
    it(what, () => {
      const filled = standardInput(input, 2, 3)!;
      assert.equal(filled.type, input.type);
      assert.deepEqual(filled.dims, dims);
      assert.deepEqual([...filled.data].map(Number), values);
    });

  it('fills nothing else, and no float input', () => {
    assert.equal(standardInput({ name: 'attention_mask', type: 'int64', shape: [] }, 1, 2), undefined);
    assert.equal(standardInput({ name: 'token_type_ids', type: 'float32', shape: [] }, 1, 2), undefined);
    assert.equal(isStandardInput('token_type_ids'), true);
    assert.equal(isStandardInput('toString'), false);
  });

  it('adds only what is declared and missing, sized like input_ids', () => {
    const inputs = [
      { name: 'input_ids', type: 'int64', shape: ['b', 's'] },
      { name: 'token_type_ids', type: 'int64', shape: ['b', 's'] },
      { name: 'position_ids', type: 'int64', shape: ['b', 's'] },
    ];
    const given = { ...ids(1, 4), position_ids: { dims: [1, 4] } };
    const added = missingStandardInputs(inputs, given);
    assert.deepEqual(Object.keys(added), ['token_type_ids']);
    assert.deepEqual(added.token_type_ids!.dims, [1, 4]);
    assert.deepEqual(missingStandardInputs(inputs, { top_k: { dims: [1] } }), {}, 'nothing tells the length');
  });
});

describe('a BERT export with token_type_ids in ONNX Runtime', () => {
  const path = writeSegmentBert(join(dir, 'segment.onnx'));
  const tokens = BigInt64Array.from([2, 10, 4, 20, 30, 3], BigInt);
  const base = {
    input_ids: ortTensor('int64', tokens, [1, 6]),
    attention_mask: ortTensor('int64', new BigInt64Array(6).fill(1n), [1, 6]),
  };
  const logits = async (file: string, feeds: Parameters<typeof runSession>[1]) => {
    const session = await createSession(file, { threads: 1 });
    try {
      return [...((await runSession(session, feeds)).logits!.data as Float32Array)];
    } finally {
      await session.release();
    }
  };

  it('declares it third, as Optimum does, and answers as with zeros fed by hand', async () => {
    const session = await createSession(path, { threads: 1 });
    assert.deepEqual(session.inputNames, ['input_ids', 'attention_mask', 'token_type_ids']);
    await assert.rejects(runSession(session, base), /token_type_ids/);
    const completed = withStandardInputs(session, base);
    assert.deepEqual([...(completed.token_type_ids!.data as BigInt64Array)], new Array(6).fill(0n));
    await session.release();
    const zeros = await logits(path, {
      ...base,
      token_type_ids: ortTensor('int64', new BigInt64Array(6), [1, 6]),
    });
    assert.deepEqual(await logits(path, completed), zeros);
    // The segment table matters: segment 1, or no segment at all (the fixture), answer otherwise.
    const ones = await logits(path, {
      ...base,
      token_type_ids: ortTensor('int64', new BigInt64Array(6).fill(1n), [1, 6]),
    });
    assert.notDeepEqual(ones, zeros);
    assert.notDeepEqual(await logits(TORCH_BERT, base), zeros);
  });

  it('sample inputs give it zeros, never random token ids', async () => {
    const session = await createSession(path, { threads: 1 });
    try {
      const feeds = sampleFeeds(session, { batch: 2, sequence: 8, vocabSize: 1000, firstId: 5 });
      assert.deepEqual([...(feeds.token_type_ids!.data as BigInt64Array)], new Array(16).fill(0n));
      assert.ok([...(feeds.input_ids!.data as BigInt64Array)].some((v) => v > 1n));
      await runSession(session, feeds);
    } finally {
      await session.release();
    }
  });
});
