/**
 * glibc malloc settings for training, applied by relaunching `tlc train` once with `GLIBC_TUNABLES` set (glibc
 * reads them only at process start).
 *
 * Why: translation training keeps one ONNX Runtime session per length bucket without ORT's CPU arenas (each
 * arena would keep its peak for good: 21.8 GB for the 5 + 5 × 256 model). Every run then allocates its
 * activations afresh. With glibc's defaults the large blocks are mmap'd and unmapped per run, so every step
 * faults in and zeroes all its working memory again. Keeping freed memory in the heap (no mmap, no trim) made a
 * step 10× faster for the 2 + 2 × 128 model (0.24 against 2.37 s, alone on 2 cores) and 2.9× for the 5 + 5 × 256
 * one (1.62 against 4.68 s); docs/training.md has the measurement. The heap is shared by all sessions, so the
 * peak stays that of the largest run rather than the sum of the arenas. Other C libraries ignore the variable.
 *
 * `TLC_MALLOC_TUNING=off` keeps the process as started.
 */
import { spawn } from 'node:child_process';

export const TRAINING_MALLOC_TUNABLES =
  'glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295';

/** The environment to relaunch with, or undefined when this process should run as it is. */
export function tunedEnvironment(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): NodeJS.ProcessEnv | undefined {
  if (platform !== 'linux' || env.TLC_MALLOC_TUNING === 'off') return undefined;
  const current = env.GLIBC_TUNABLES ?? '';
  if (current.includes('glibc.malloc.mmap_threshold')) return undefined; // already set (by us or the user)
  return {
    ...env,
    GLIBC_TUNABLES: current === '' ? TRAINING_MALLOC_TUNABLES : `${current}:${TRAINING_MALLOC_TUNABLES}`,
  };
}

/**
 * Runs this same command again in a child with `env`, passing the terminal through, and resolves with the exit
 * code to leave with. Ctrl-C reaches the child directly (same process group), so the parent only waits for its
 * clean stop; SIGTERM is forwarded.
 */
export function relaunch(env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env,
    stdio: 'inherit',
  });
  const ignore = (): void => {};
  const forward = (): void => {
    child.kill('SIGTERM');
  };
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
  });
}
