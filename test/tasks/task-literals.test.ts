/**
 * A task is one folder and one row: outside src/tasks/, no source file spells a task's name, its `tlc train`
 * name or its route as a string literal (they come from the catalog, src/tasks/catalog.ts), and no task folder
 * imports another's. Read from the source with TypeScript's parser, so comments and longer strings (help texts,
 * messages) do not count; a canary checks that the scan sees literals at all.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { about, MODEL_TASKS } from '../../src/tasks/catalog.js';

const srcDir = resolve(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface Scanned {
  readonly path: string;
  readonly literals: readonly { text: string; line: number }[];
  readonly imports: readonly string[];
}

function scan(file: string): Scanned {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const literals: { text: string; line: number }[] = [];
  const imports: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      const spec = (node.moduleSpecifier as ts.StringLiteral).text;
      if (spec.startsWith('.')) imports.push(relative(srcDir, resolve(dirname(file), spec)));
      return;
    }
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
      literals.push({ text: node.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { path: relative(srcDir, file), literals, imports };
}

const scanned = sourceFiles(srcDir).map(scan);
const inTasks = (path: string) => path.startsWith('tasks/');
/** Every name a task row owns. */
const names: ReadonlySet<string> = new Set(
  MODEL_TASKS.flatMap((t) => [t, about(t).runTask ?? t, about(t).route]),
);

describe('a task is one folder and one row', () => {
  it('reads the source (canary: the catalog itself spells every name)', () => {
    assert.ok(scanned.length > 300, `${scanned.length} files`);
    const catalogLiterals = scanned
      .filter((f) => inTasks(f.path) && f.path.endsWith('about.ts'))
      .flatMap((f) => f.literals.map((l) => l.text));
    for (const name of names)
      assert.ok(catalogLiterals.includes(name), `the scan finds "${name}" in the rows`);
  });

  it('spells no task name, run-task name or route as a literal outside src/tasks/', () => {
    const found = scanned
      .filter((f) => !inTasks(f.path))
      .flatMap((f) =>
        f.literals.filter((l) => names.has(l.text)).map((l) => `src/${f.path}:${l.line} "${l.text}"`),
      );
    assert.deepEqual(found, [], 'read the name from src/tasks/catalog.ts (or the task row) instead');
  });

  it('has no import from one task folder into another', () => {
    const folderOf = (path: string) => (/^tasks\/([^/]+)\//.exec(path) ?? [])[1];
    const crossing = scanned.flatMap((f) => {
      const from = folderOf(f.path);
      if (from === undefined) return [];
      return f.imports
        .filter((target) => {
          const to = folderOf(target);
          return to !== undefined && to !== from;
        })
        .map((target) => `src/${f.path} → src/${target}`);
    });
    assert.deepEqual(crossing, [], 'share code through src/tasks/ or a lower layer');
  });
});
