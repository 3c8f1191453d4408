/**
 * Tensor-name patterns for the pruning passes' include/exclude lists: a RegExp, or a glob string matched
 * against the whole name (`*` any run of characters, `?` one character, everything else literal) — the
 * same glob syntax as the quantizer's node selection, applied to initializer names.
 */

export type NamePattern = string | RegExp;

export interface NameFilter {
  /** When non-empty, only names matching one of these are selected. */
  readonly include?: readonly NamePattern[];
  /** Names matching one of these are never selected (exclude wins over include). */
  readonly exclude?: readonly NamePattern[];
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.+()[\]{}|]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function compile(patterns: readonly NamePattern[] | undefined): { pattern: NamePattern; re: RegExp }[] {
  return (patterns ?? []).map((pattern) => ({
    pattern,
    // A RegExp with the g or y flag keeps state between test() calls; use a stateless copy.
    re:
      typeof pattern === 'string'
        ? globToRegExp(pattern)
        : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')),
  }));
}

function show(p: NamePattern): string {
  return typeof p === 'string' ? `"${p}"` : String(p);
}

/** A function that says whether a name passes the filter, and if not, why. */
export function nameFilter(filter: NameFilter): (name: string) => string | undefined {
  const include = compile(filter.include);
  const exclude = compile(filter.exclude);
  return (name) => {
    const ex = exclude.find((c) => c.re.test(name));
    if (ex !== undefined) return `excluded by pattern ${show(ex.pattern)}`;
    if (include.length > 0 && !include.some((c) => c.re.test(name))) {
      return `matches no include pattern (${include.map((c) => show(c.pattern)).join(', ')})`;
    }
    return undefined;
  };
}
