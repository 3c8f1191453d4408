/**
 * Text clean-up shared by every corpus: line endings, control characters, blank-line runs, and Project Gutenberg's
 * licence header and footer. Only layout is changed; words are left as they are.
 */

/**
 * Normalises layout: drops a byte-order mark, turns CRLF and CR into LF, removes control characters other than
 * tab and newline, strips trailing spaces from lines, collapses runs of blank lines into one, and trims the ends.
 */
export function normaliseText(text: string): string {
  return (
    text
      .replace(/^\uFEFF/, '')
      .replace(/\r\n?/g, '\n')
      // C0 controls except \t and \n, DEL and C1 controls (e.g. a stray U+0002 in the 1890 SOTU address).
      // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, '')
      .replace(/[ \t\u00A0]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

const GUTENBERG_START = /^.*\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK.*$/im;
const GUTENBERG_END =
  /^.*(?:\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK|End of (?:the )?Project Gutenberg'?s? E-?Book).*$/im;

/**
 * Keeps only the text between Project Gutenberg's `*** START OF ... ***` and `*** END OF ... ***` lines (or
 * the older "End of the Project Gutenberg EBook" line). Text without the markers is returned unchanged, so
 * ordinary prose that merely mentions Gutenberg is never cut.
 */
export function stripGutenberg(text: string): string {
  let out = text;
  const start = GUTENBERG_START.exec(out);
  if (start) out = out.slice(start.index + start[0].length);
  const end = GUTENBERG_END.exec(out);
  if (end) out = out.slice(0, end.index);
  return out;
}

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  quot: '"',
  apos: "'",
  lt: '<',
  gt: '>',
  nbsp: ' ',
  mdash: '—',
  ndash: '–',
};

/** Decodes the few HTML entities that leak into scraped text (`&quot;`, `&mdash;`, `&#8217;`). */
export function decodeHtmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code =
        name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}
