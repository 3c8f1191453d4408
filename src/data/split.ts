/**
 * Deterministic train / validation / test splits. Each item is assigned by hashing a stable key (a document id,
 * a verse id), so the assignment never depends on load order, on the other items or on a random seed, and a whole
 * document always lands in one split.
 *
 * The key's UTF-8 bytes are hashed with SHA-1 and the first 32 bits, read big-endian, are divided by 2^32 to give
 * u in [0, 1). Python reproduces it as `int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 2**32`.
 * u < test → 'test'; u < test + validation → 'validation'; otherwise 'train'. Test is carved out first, so changing
 * the validation fraction never moves an item into or out of the test split.
 */
import { createHash } from 'node:crypto';
import { TlcError } from '../errors/index.js';

export type Split = 'train' | 'validation' | 'test';

export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

/** Fractions of the items (in expectation) that go to validation and test; train gets the rest. */
export interface SplitFractions {
  readonly validation: number;
  readonly test: number;
}

export const DEFAULT_SPLIT_FRACTIONS: SplitFractions = Object.freeze({ validation: 0.05, test: 0.05 });

/** The key's position in [0, 1): the first 32 bits of SHA-1 over its UTF-8 bytes, over 2^32. */
export function hashToUnit(key: string): number {
  return createHash('sha1').update(key, 'utf8').digest().readUInt32BE(0) / 2 ** 32;
}

/** Fills in the defaults and checks the fractions once, at the boundary. */
export function resolveSplitFractions(fractions: Partial<SplitFractions> = {}): SplitFractions {
  const resolved = { ...DEFAULT_SPLIT_FRACTIONS, ...fractions };
  for (const name of ['validation', 'test'] as const) {
    const f = resolved[name];
    if (!(Number.isFinite(f) && f >= 0 && f < 1))
      throw new TlcError('CONFIG_INVALID', `${name} fraction must be in [0, 1), got ${f}`);
  }
  if (!(resolved.validation + resolved.test < 1))
    throw new TlcError(
      'CONFIG_INVALID',
      `validation + test fractions must leave something to train on, got ${resolved.validation} + ${resolved.test}`,
    );
  return resolved;
}

/** The split of one item, from its stable key. */
export function splitOf(key: string, fractions?: Partial<SplitFractions>): Split {
  const { validation, test } = resolveSplitFractions(fractions);
  return splitAt(hashToUnit(key), validation, test);
}

function splitAt(u: number, validation: number, test: number): Split {
  if (u < test) return 'test';
  if (u < test + validation) return 'validation';
  return 'train';
}

/** Items grouped by split, each group in the input order. */
export function groupBySplit<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  fractions?: Partial<SplitFractions>,
): Record<Split, T[]> {
  const { validation, test } = resolveSplitFractions(fractions);
  const out: Record<Split, T[]> = { train: [], validation: [], test: [] };
  for (const item of items) out[splitAt(hashToUnit(keyOf(item)), validation, test)].push(item);
  return out;
}

/** The items of one split, in the input order. */
export function selectSplit<T>(
  items: readonly T[],
  split: Split,
  keyOf: (item: T) => string,
  fractions?: Partial<SplitFractions>,
): T[] {
  assertSplit(split);
  return groupBySplit(items, keyOf, fractions)[split];
}

/** Checks a split name that may come from outside TypeScript (a CLI flag, a recipe file). */
export function assertSplit(split: string): asserts split is Split {
  if (!(SPLITS as readonly string[]).includes(split))
    throw new TlcError('CONFIG_INVALID', `unknown split "${split}" (expected ${SPLITS.join(', ')})`);
}
