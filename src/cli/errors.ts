/** How the CLI reports failures: `error[CODE]: message` on stderr, exit status 1 (2 for usage errors). */
import { isTlcError, messageOf } from '../errors/index.js';

export function reportError(error: unknown): number {
  if (isTlcError(error)) {
    process.stderr.write(`error[${error.code}]: ${error.message}\n`);
    return error.code === 'CLI_USAGE' ? 2 : 1;
  }
  process.stderr.write(`error[INTERNAL]: ${messageOf(error)}\n`);
  if (process.env.TLC_DEBUG && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  return 1;
}

/** Wraps an async command action so failures print cleanly and set the exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      process.exitCode = reportError(error);
    }
  };
}
