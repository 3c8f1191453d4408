/** Reading one user-supplied text file, with errors that name the file and say what is wrong with it. */
import { readFile } from 'node:fs/promises';
import { messageOf, TlcError } from '../errors/index.js';

/** Git's heuristic: a NUL byte in the first 8000 bytes means binary. */
const BINARY_PROBE_BYTES = 8000;

/**
 * The file's text, decoded as UTF-8 (a byte-order mark is dropped). Throws DATA_INVALID when the file is missing,
 * is a directory, cannot be read, holds a NUL byte near the start or is not valid UTF-8.
 */
export async function readTextFile(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EISDIR'
          ? 'is a directory, not a text file'
          : code === 'EACCES'
            ? 'permission denied'
            : `cannot be read (${messageOf(error)})`;
    throw new TlcError('DATA_INVALID', `${path}: ${why}`, { cause: error });
  }
  if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0))
    throw new TlcError('DATA_INVALID', `${path}: looks binary (NUL byte); expected UTF-8 text`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (error) {
    throw new TlcError('DATA_INVALID', `${path}: not valid UTF-8 text; re-save it as UTF-8`, {
      cause: error,
    });
  }
}
