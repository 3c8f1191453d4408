/**
 * User-supplied plain-text files as MLM documents.
 *
 * How files become documents (documents are the unit of the train/validation/test split):
 * - A line holding only `---` always ends a document: files cut this way give ids `<path>#1`, `<path>#2`, ...
 * - Otherwise, with `documents: 'file'`, the whole file is one document, id `<path>`; with
 *   `documents: 'paragraphs'`, paragraphs (separated by blank lines) are grouped, `paragraphsPerDocument` (20) at
 *   a time, ids `<path>#1`, `<path>#2`, ...
 * - `documents: 'auto'` (the default) is 'paragraphs' for a single file, so one file still yields enough
 *   documents to split, and 'file' for several files.
 * Ids use the path as given, so keep paths stable (e.g. relative to the project) for stable splits.
 * Text is cleaned like the built-in corpora: line endings, control characters, runs of blank lines, and
 * Project Gutenberg's licence header and footer when their marker lines are present.
 */
import { basename } from 'node:path';
import { TlcError } from '../errors/index.js';
import { normaliseText, stripGutenberg } from './clean-text.js';
import { readTextFile } from './text-file.js';
import type { TextDocument } from './types.js';

export interface TextFilesOptions {
  readonly documents?: 'auto' | 'file' | 'paragraphs';
  /** Paragraphs per document in 'paragraphs' mode (default 20). */
  readonly paragraphsPerDocument?: number;
}

export const DEFAULT_PARAGRAPHS_PER_DOCUMENT = 20;

const SEPARATOR_LINE = /^[ \t]*---[ \t]*$/m;

function cutOnSeparators(text: string): string[] {
  const parts: string[][] = [[]];
  for (const line of text.split('\n')) {
    if (SEPARATOR_LINE.test(line)) parts.push([]);
    else parts.at(-1)!.push(line);
  }
  return parts.map((lines) => normaliseText(lines.join('\n'))).filter((part) => part.length > 0);
}

function groupParagraphs(text: string, perDocument: number): string[] {
  const paragraphs = text.split(/\n[ \t]*\n/).filter((p) => p.trim().length > 0);
  const out: string[] = [];
  for (let i = 0; i < paragraphs.length; i += perDocument)
    out.push(paragraphs.slice(i, i + perDocument).join('\n\n'));
  return out;
}

function documentsOf(
  path: string,
  text: string,
  mode: 'file' | 'paragraphs',
  perDocument: number,
): TextDocument[] {
  // Ids (and so the hash splits) depend on the file's name, not on the folder it sits in: the same file splits
  // the same way on every machine.
  const name = basename(path);
  const numbered = (parts: string[]) =>
    parts.map((part, i) => Object.freeze({ id: `${name}#${i + 1}`, source: path, text: part }));
  if (SEPARATOR_LINE.test(text)) return numbered(cutOnSeparators(text));
  if (mode === 'paragraphs') return numbered(groupParagraphs(text, perDocument));
  return [Object.freeze({ id: name, source: path, text })];
}

/** Reads the files (in the order given) and returns their documents. Throws DATA_INVALID naming a bad file. */
export async function loadTextFiles(
  paths: readonly string[],
  options: TextFilesOptions = {},
): Promise<TextDocument[]> {
  if (paths.length === 0) throw new TlcError('DATA_INVALID', 'no text files given');
  const perDocument = options.paragraphsPerDocument ?? DEFAULT_PARAGRAPHS_PER_DOCUMENT;
  if (!(Number.isInteger(perDocument) && perDocument >= 1))
    throw new TlcError(
      'CONFIG_INVALID',
      `paragraphsPerDocument must be a positive integer, got ${perDocument}`,
    );
  const requested = options.documents ?? 'auto';
  if (!['auto', 'file', 'paragraphs'].includes(requested))
    throw new TlcError('CONFIG_INVALID', `documents must be auto, file or paragraphs, got "${requested}"`);
  const mode = requested === 'auto' ? (paths.length === 1 ? 'paragraphs' : 'file') : requested;
  const seen = new Set<string>();
  for (const path of paths) {
    if (seen.has(path)) throw new TlcError('DATA_INVALID', `${path}: listed twice`);
    seen.add(path);
  }
  const texts = await Promise.all(paths.map((path) => readTextFile(path)));
  return paths.flatMap((path, i) => {
    const text = normaliseText(stripGutenberg(normaliseText(texts[i]!)));
    const docs = text.length > 0 ? documentsOf(path, text, mode, perDocument) : [];
    if (docs.length === 0) throw new TlcError('DATA_INVALID', `${path}: is empty (no text after clean-up)`);
    return docs;
  });
}
