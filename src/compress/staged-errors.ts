/**
 * Errors of a compression that runs in a staging folder (export/folder.ts writes `.NAME.PID.tmp` beside --out
 * and renames it at the end). A failure deletes that folder, so a message naming a file in it points at
 * nothing: the user asked for --out, and that is the path to name (issue 28).
 */
import { messageOf, TlcError } from '../errors/index.js';

/** `error` with every mention of the staging folder `stage` replaced by the final output folder `out`. */
export function namingFinalPath(error: unknown, stage: string, out: string): unknown {
  const message = messageOf(error);
  if (stage === '' || !message.includes(stage)) return error;
  const renamed = message.split(stage).join(out);
  if (error instanceof TlcError)
    return new TlcError(error.code, renamed, {
      cause: error,
      ...(error.retryAfterSeconds !== undefined && { retryAfterSeconds: error.retryAfterSeconds }),
    });
  return new Error(renamed, { cause: error });
}
