/** The glibc malloc settings `tlc train` relaunches with, and when it leaves the process alone. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TRAINING_MALLOC_TUNABLES, tunedEnvironment } from '../../src/cli/malloc-tuning.js';

describe('training malloc tuning', () => {
  it('adds the tunables on Linux and keeps the rest of the environment', () => {
    const env = tunedEnvironment({ PATH: '/bin', OMP_NUM_THREADS: '1' }, 'linux');
    assert.deepEqual(env, { PATH: '/bin', OMP_NUM_THREADS: '1', GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES });
    assert.equal(
      tunedEnvironment({ GLIBC_TUNABLES: 'glibc.cpu.hwcaps=-AVX' }, 'linux')?.GLIBC_TUNABLES,
      `glibc.cpu.hwcaps=-AVX:${TRAINING_MALLOC_TUNABLES}`,
    );
  });

  it('relaunches at most once, and not where the user opted out or glibc is absent', () => {
    const once = tunedEnvironment({}, 'linux');
    assert.ok(once !== undefined);
    assert.equal(tunedEnvironment(once, 'linux'), undefined);
    assert.equal(
      tunedEnvironment({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536' }, 'linux'),
      undefined,
    );
    assert.equal(tunedEnvironment({ TLC_MALLOC_TUNING: 'off' }, 'linux'), undefined);
    assert.equal(tunedEnvironment({}, 'darwin'), undefined);
    assert.equal(tunedEnvironment({}, 'win32'), undefined);
  });

  // The dynamic loader prints the tunables glibc parsed from the environment (glibc ≥ 2.33).
  const loader = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((p) => existsSync(p));
  it('is parsed by this glibc as both thresholds at 4 GiB', { skip: loader === undefined }, () => {
    const child = spawnSync(loader!, ['--list-tunables'], {
      env: { GLIBC_TUNABLES: TRAINING_MALLOC_TUNABLES },
      encoding: 'utf8',
    });
    if (child.status !== 0) return; // an older glibc without --list-tunables
    assert.match(child.stdout, /glibc\.malloc\.mmap_threshold: 0xffffffff/);
    assert.match(child.stdout, /glibc\.malloc\.trim_threshold: 0xffffffff/);
  });
});
