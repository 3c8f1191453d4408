/**
 * int8 on a CPU without VNNI, checked from any x86-64 machine: qemu-user emulates an AVX2-only CPU (Haswell;
 * its TCG has no AVX-512 or VNNI), so ONNX Runtime picks the VPMADDUBSW kernels that add u8·s8 byte pairs in
 * a saturating int16 — the kernels that broke full-range int8 weights on AVX2 machines while VNNI machines
 * passed. Under emulation: the int8 test files pass unchanged, the default coding answers exactly as it does
 * natively, and a folder compressed with VNNI-only weights (`--int8-weights full`) is served degraded.
 * Needs Debian's qemu-user (`.ci/run` installs it); without it the tests skip and say so loudly.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { compress } from '../../../src/compress/compress.js';
import { parseRecipe } from '../../../src/compress/recipe.js';
import { BERT_CONFIG, TORCH_BERT, writeForeignFolder } from '../../helpers/foreign.js';

const QEMU = process.env.QEMU_X86_64 ?? 'qemu-x86_64';
const available = arch() === 'x64' && spawnSync(QEMU, ['--version'], { encoding: 'utf8' }).status === 0;
if (!available)
  process.stderr.write(
    `\n*** ${QEMU} not found (Debian's qemu-user): int8 is not checked on an emulated AVX2 CPU ***\n\n`,
  );
const skip = available ? false : `${QEMU} (qemu-user) is not installed`;

/** Runs a TypeScript file under node on an emulated Haswell (AVX2, FMA; no AVX-512, no VNNI). */
function emulated(file: string, args: readonly string[] = []) {
  return spawnSync(QEMU, ['-cpu', 'Haswell-v4', process.execPath, '--import', 'tsx', file, ...args], {
    encoding: 'utf8',
    // Without the runner's context the file reports in TAP, not in the runner's own protocol.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')),
    timeout: 600_000,
    maxBuffer: 64 * 2 ** 20,
  });
}

const dir = mkdtempSync(join(tmpdir(), 'tlc-emulated-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('int8 on an emulated AVX2 CPU', { skip }, () => {
  it('the int8 test files pass unchanged there', () => {
    for (const file of ['dynamic-int8.test.ts', 'static-qdq.test.ts', 'int8-coding.test.ts']) {
      const r = emulated(join(import.meta.dirname, file));
      const failed = /^# fail (\d+)/m.exec(r.stdout)?.[1];
      assert.equal(
        failed,
        '0',
        `${file} under emulated AVX2:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`,
      );
      assert.equal(r.status, 0);
    }
  });

  it('serves VNNI-only int8 degraded (auto passes it over) and the default int8 sound', async () => {
    const source = writeForeignFolder(join(dir, 'bert'), TORCH_BERT, {
      config: BERT_CONFIG,
      tokenizer: 1000,
    });
    const models = join(dir, 'models');
    mkdirSync(models);
    const options = { recipes: [parseRecipe('int8')], latency: false, threads: 1, batch: 2, sequence: 16 };
    await compress(source, join(models, 'vnni-only'), { ...options, int8Weights: 'full' });
    await compress(source, join(models, 'default'), options);
    const r = emulated(join(import.meta.dirname, '..', '..', 'helpers', 'serve-check.ts'), [
      models,
      'vnni-only',
    ]);
    assert.equal(r.status, 0, r.stderr.slice(-3000));
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      saturates: boolean;
      auto: string;
      models: {
        models: {
          name: string;
          variants: {
            name: string;
            status?: string;
            probe: { agreement: number; compressed_agreement: number };
          }[];
        }[];
      };
    };
    assert.equal(
      out.saturates,
      true,
      'the emulated CPU adds byte pairs in int16 (else this test proves nothing)',
    );
    const variants = (name: string) => out.models.models.find((m) => m.name === name)!.variants;
    const [, full] = variants('vnni-only');
    assert.equal(full!.status, 'degraded');
    assert.ok(full!.probe.agreement < full!.probe.compressed_agreement - 0.05, JSON.stringify(full!.probe));
    assert.notEqual(out.auto, 'int8', 'variant=auto does not pick the degraded variant');
    const [, sound] = variants('default');
    assert.equal(sound!.status, undefined);
    assert.equal(
      sound!.probe.agreement,
      sound!.probe.compressed_agreement,
      'the same answers as where it was compressed',
    );
  });
});
