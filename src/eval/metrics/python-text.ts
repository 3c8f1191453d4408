/**
 * The few Python `str` behaviours that sacreBLEU's scores depend on, rebuilt exactly for JavaScript strings.
 * Python's `str.split()` / `str.rstrip()` use `str.isspace()`, whose set differs from JavaScript's `\s`
 * (Python adds U+001C–U+001F and U+0085, JavaScript adds U+FEFF); Python indexes strings by code point,
 * JavaScript by UTF-16 unit. The set below is every code point with `str.isspace()` in CPython 3.11.
 */

const WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${WS}]+`, 'gu');
const TRAILING_WHITESPACE = new RegExp(`[${WS}]+$`, 'u');

/** Python's `line.split()`: split on runs of whitespace, with no empty strings at either end. */
export function splitWhitespace(line: string): string[] {
  return line.split(WHITESPACE_RUN).filter((token) => token.length > 0);
}

/** Python's `line.rstrip()`. */
export function rstripWhitespace(line: string): string {
  return line.replace(TRAILING_WHITESPACE, '');
}

/** Python's `''.join(line.split())`: the line with all whitespace removed. */
export function removeWhitespace(line: string): string {
  return line.replace(WHITESPACE_RUN, '');
}

/** The line as Python sees it for `len()` and slicing: one entry per code point. */
export function codePoints(line: string): string[] {
  return Array.from(line);
}

/**
 * Python's `f'{value:.{digits}f}'`. JavaScript's `toFixed` rounds an exact tie away from zero, Python rounds it
 * to even (`f'{31.25:.1f}'` is `31.2`, `(31.25).toFixed(1)` is `31.3`); sacreBLEU prints precisions such as
 * 100·5/16 this way. `toFixed(100)` is the exact decimal expansion of any double this is used on.
 */
export function formatFixed(value: number, digits: number): string {
  const rounded = value.toFixed(digits);
  if (!Number.isFinite(value)) return rounded;
  const exact = value.toFixed(100);
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(rest)) return rounded;
  const truncated = digits === 0 ? exact.slice(0, dot) : exact.slice(0, dot + 1 + digits);
  const lastDigit = Number(truncated.at(-1));
  return lastDigit % 2 === 0 ? truncated : rounded;
}
