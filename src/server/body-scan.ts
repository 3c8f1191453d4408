/**
 * Admission of a JSON body before it is parsed. JSON.parse runs on the main thread and cannot be interrupted:
 * `[[[…]]]` 400,000 levels deep in 800 KB took 70–220 ms to parse here (and overflowed the stack of whatever
 * walked the result recursively), and a raw `[1024, 128]` tensor pair 10–20 ms, long enough, sent back to back
 * by two clients, to push `/v2/health/live` past 100 ms. One pass over the bytes (about 1 ms per MB) bounds both
 * before parsing: the nesting depth, and the number of array and object items (commas), which no valid request
 * needs more of than the largest tensors a loaded model takes.
 */
import { TlcError } from '../errors/index.js';

/** Deepest nesting a body may have: KServe v2 tensors nest `data` by their rank, and no model has rank 32. */
export const MAX_JSON_DEPTH = 32;

export interface BodyBounds {
  readonly maxDepth: number;
  /** Commas outside strings (≈ array items + object members). */
  readonly maxItems: number;
}

/**
 * Items a valid body may hold: `rows` inputs of `positions` tokens in up to four tensors (ids, mask, token types,
 * one more), plus room for the request's own fields.
 */
export function bodyBounds(rows: number, positions: number): BodyBounds {
  return { maxDepth: MAX_JSON_DEPTH, maxItems: rows * positions * 4 + 4096 };
}

/** Thrown from body-parser's `verify` hook: body-parser wraps it, the error handler unwraps `tlc`. */
export class BodyRejected extends Error {
  constructor(readonly tlc: TlcError) {
    super(tlc.message);
  }
}

/** The nesting depth of a JSON text and its commas outside strings, stopping early past `bounds`. */
export function scanJson(bytes: Uint8Array, bounds: BodyBounds): { depth: number; items: number } {
  let depth = 0;
  let deepest = 0;
  let items = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (b === 0x22) inString = false;
      continue;
    }
    if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > bounds.maxDepth) break;
      }
    } else if (b === 0x5d || b === 0x7d) depth--;
    else if (b === 0x2c && ++items > bounds.maxItems) break;
  }
  return { depth: deepest, items };
}

/** Refuses a body that nests deeper or holds more items than `bounds` allow. */
export function checkJsonBody(bytes: Uint8Array, bounds: BodyBounds): void {
  const { depth, items } = scanJson(bytes, bounds);
  if (depth > bounds.maxDepth)
    throw new BodyRejected(
      new TlcError(
        'REQUEST_INVALID',
        `the JSON body nests deeper than ${bounds.maxDepth} levels; a tensor's data nests at most by its rank`,
      ),
    );
  if (items > bounds.maxItems)
    throw new BodyRejected(
      new TlcError(
        'INPUT_TOO_LARGE',
        `the JSON body holds more than ${bounds.maxItems} values; no model here takes that many (send at most the server's inputs per request, each within the model's positions)`,
      ),
    );
}
