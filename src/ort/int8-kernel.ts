/**
 * What this machine's ONNX Runtime does with a u8 × s8 byte pair, measured rather than read from CPU flags
 * (an emulated or virtualised CPU can report flags its kernels do not use): one MatMulInteger with u8
 * activations 255 and an s8 weight column whose first K-pair is (127, 127) gives 64770 where the pair is added
 * in int32 (VNNI, AMX, ARM dot products) and 32767 where VPMADDUBSW saturates it in int16 (AVX2, AVX-512
 * without VNNI). See compress/quantize/int8-coding.ts for why TLC's int8 weights never reach that limit.
 */

import { GraphBuilder } from '../onnx/builder.js';
import { DataType } from '../onnx/dtype.js';
import { encodeModel } from '../onnx/io.js';
import { int8Tensor } from '../onnx/tensor.js';
import { createSession, ortTensor, runSession } from './session.js';

let cached: Promise<boolean> | undefined;

/** True when ORT's u8 × s8 GEMM adds byte pairs into a saturating int16 on this machine (measured once). */
export function int8PairsSaturate(): Promise<boolean> {
  cached ??= measure();
  return cached;
}

async function measure(): Promise<boolean> {
  const k = 64;
  const n = 16;
  const b = GraphBuilder.create({ opsets: { '': 17 } });
  const a = b.input('a', DataType.UINT8, [1, k]);
  const codes = new Int8Array(k * n);
  codes[0] = 127;
  codes[n] = 127;
  const w = b.initializer(int8Tensor('w', [k, n], codes));
  b.output(b.op('MatMulInteger', [a, w], {}, { outputs: ['y'] }), { elemType: DataType.INT32 });
  const session = await createSession(encodeModel(b.toModel()), { source: 'int8 kernel probe' });
  try {
    const feeds = { a: ortTensor('uint8', new Uint8Array(k).fill(255), [1, k]) };
    const y = (await runSession(session, feeds)).y!.data as Int32Array;
    return y[0] !== 255 * 254;
  } finally {
    await session.release();
  }
}
