/** util/cpu.ts: the kernel-picking features read from /proc/cpuinfo text, and the int8 path they give. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSizeVariant } from '../../src/model-folder/tlc-json.js';
import { cpuFacts, cpuLabel, int8Path, parseCpuFeatures } from '../../src/util/cpu.js';

describe('cpu facts', () => {
  it('reads x86 flags and ARM features, keeping only those that pick ORT kernels, in a fixed order', () => {
    const x86 = 'processor\t: 0\nmodel name\t: X\nflags\t\t: fpu sse avx512_vnni avx2 fma avx512bw avx512f\n';
    assert.deepEqual(parseCpuFeatures(x86), ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni']);
    assert.deepEqual(parseCpuFeatures('Features\t: fp asimd asimddp i8mm\n'), ['asimddp', 'i8mm']);
    assert.deepEqual(parseCpuFeatures(''), []);
  });

  it('names the int8 path: AMX and VNNI add in int32, AVX2 and AVX-512 without VNNI pair in int16', () => {
    assert.equal(int8Path('x64', ['avx2', 'fma']), 'vpmaddubsw');
    assert.equal(int8Path('x64', ['avx2', 'avx512f', 'avx512bw']), 'vpmaddubsw');
    assert.equal(int8Path('x64', ['avx2', 'avx_vnni']), 'vnni');
    assert.equal(int8Path('x64', ['avx2', 'avx512bw', 'avx512_vnni']), 'vnni');
    assert.equal(int8Path('x64', ['avx2', 'avx512_vnni', 'amx_int8']), 'amx');
    assert.equal(int8Path('arm64', ['asimddp']), 'arm-dot');
    assert.equal(int8Path('x64', []), 'other');
  });

  it('describes this machine in one line', () => {
    const c = cpuFacts();
    assert.ok(cpuLabel(c).startsWith(`${c.model} (${c.arch}: `));
    assert.ok(cpuLabel(c).endsWith(`; int8 ${c.int8})`));
  });

  it('a compressed variant timed slower than fp32 is a size variant; fp32 and untimed ones are not', () => {
    const v = { name: 'q4', files: ['m.onnx'], recipe: ['q4'], bytes: 1 };
    assert.equal(isSizeVariant({ ...v, latency: { p50_ms: 2, p95_ms: 3, speedup: 0.8 } }), true);
    assert.equal(isSizeVariant({ ...v, latency: { p50_ms: 2, p95_ms: 3, speedup: 1.2 } }), false);
    assert.equal(isSizeVariant(v), false);
    assert.equal(isSizeVariant({ ...v, recipe: [], latency: { p50_ms: 2, p95_ms: 3, speedup: 0.9 } }), false);
  });
});
