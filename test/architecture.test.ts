/**
 * The shape of src/, read from the source itself: layers that only import downwards, no import cycles, files and
 * functions of a readable size. The layer order below is the one place it is written; docs/design.md explains it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/**
 * The task catalog — src/tasks/about.ts, src/tasks/catalog.ts and each task folder's about.ts: names, detection,
 * metrics and console view of every task — is a layer of its own below model and run folders, which read task
 * names and metrics from it, while the rest of src/tasks/ (the task code) sits above them.
 */
const CATALOG_LAYER = 'tasks (catalog)';
const CATALOG_FILES = /^tasks\/(about|catalog)\.ts$|^tasks\/[^/]+\/about\.ts$/;

/**
 * Top-level folders of src/, lowest first. A file may import from its own folder and from folders on earlier
 * rows; folders on one row are peers that must not import each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors'],
  ['util'],
  ['onnx', 'tokenizer', 'data'],
  ['ort'],
  ['autodiff', 'models'],
  [CATALOG_LAYER],
  ['eval', 'model-folder', 'run-folder'],
  ['tasks'],
  ['train'],
  ['export'],
  ['compress'],
  ['runtime'],
  ['bench', 'server'],
  ['cli', 'console'],
];

/** Edges (`importing file → imported folder`) allowed to break the order; it is empty and should stay so. */
const KNOWN_UPWARD: readonly string[] = [];

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;
/** Files and functions allowed over the limits, as `path` or `path:name`: none, and it should stay so. */
const KNOWN_LONG: readonly string[] = [];

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const srcDir = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface SourceFacts {
  readonly path: string; // relative to src/, with .ts
  readonly imports: readonly string[]; // resolved, relative to src/, with .ts
  readonly lines: number;
  readonly functions: readonly { name: string; lines: number }[];
}

function functionName(node: ts.Node, sf: ts.SourceFile): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name)
    return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(sf);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(sf);
  return `(anonymous at line ${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1})`;
}

function readFacts(file: string): SourceFacts {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const imports: string[] = [];
  const functions: { name: string; lines: number }[] = [];
  const addImport = (spec: string): void => {
    if (!spec.startsWith('.')) return;
    imports.push(relative(srcDir, resolve(dirname(file), spec)).replace(/\.js$/, '.ts'));
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) addImport(node.moduleSpecifier.text);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) addImport(arg.text);
    }
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node)
    ) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      functions.push({ name: functionName(node, sf), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { path: relative(srcDir, file), imports, lines: text.split('\n').length - 1, functions };
}

const facts = sourceFiles(srcDir).map(readFacts);
const layerOf = new Map(LAYERS.flatMap((row, i) => row.map((folder) => [folder, i] as const)));
const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '');
/** The layer a file belongs to: its top-level folder, or the task catalog. */
const layerKey = (path: string): string => (CATALOG_FILES.test(path) ? CATALOG_LAYER : folderOf(path));

describe('architecture', () => {
  it('places every top-level folder of src/ in the layer table', () => {
    const folders = new Set(facts.map((f) => folderOf(f.path)).filter((f) => f !== ''));
    assert.deepEqual([...folders].filter((f) => !layerOf.has(f)).sort(), []);
    // A canary: the checks below pass vacuously on an empty file list.
    assert.ok(facts.length > 300, `only ${facts.length} source files read from ${srcDir}`);
    assert.ok(
      facts.some((f) => f.path === 'tasks/catalog.ts') && facts.some((f) => f.imports.length > 0),
      'the task catalog and imports are seen',
    );
    assert.deepEqual(
      facts.filter((f) => folderOf(f.path) === '').map((f) => f.path),
      [],
      'every source file lives in a layer folder',
    );
  });

  it('describes every top-level folder of src/ in docs/design.md, in layer order', () => {
    const design = readFileSync(join(root, 'docs', 'design.md'), 'utf8');
    const described = [...design.matchAll(/^([a-z-]+)\/\s{2,}/gm)].map((m) => m[1]!);
    assert.deepEqual(
      described,
      LAYERS.flat().filter((l) => l !== CATALOG_LAYER),
    );
  });

  it('imports only downwards (or within a folder)', () => {
    const upward = new Set<string>();
    for (const f of facts) {
      const from = layerKey(f.path);
      for (const target of f.imports) {
        const to = layerKey(target);
        if (to === from) continue;
        if ((layerOf.get(to) ?? Number.POSITIVE_INFINITY) >= (layerOf.get(from) ?? -1)) {
          upward.add(`${f.path} → ${to}`);
        }
      }
    }
    const known = new Set(KNOWN_UPWARD);
    assert.deepEqual(
      [...upward].filter((e) => !known.has(e)).sort(),
      [],
      'upward or sideways imports; move the shared code down a layer',
    );
    assert.deepEqual(
      KNOWN_UPWARD.filter((e) => !upward.has(e)),
      [],
      'fixed edges: remove them from KNOWN_UPWARD',
    );
  });

  it('has no import cycles between files', () => {
    const graph = new Map(facts.map((f) => [f.path, f.imports] as const));
    // Tarjan's strongly connected components; any component of two or more files is a cycle.
    let index = 0;
    const order = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const connect = (v: string): void => {
      order.set(v, index);
      low.set(v, index);
      index++;
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!order.has(w)) {
          connect(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
      }
      if (low.get(v) === order.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const v of graph.keys()) if (!order.has(v)) connect(v);
    assert.deepEqual(cycles, []);
  });

  it(`keeps files under ${MAX_FILE_LINES} lines and functions under ${MAX_FUNCTION_LINES}`, () => {
    const long = new Set<string>();
    for (const f of facts) {
      if (f.lines > MAX_FILE_LINES) long.add(f.path);
      for (const fn of f.functions) if (fn.lines > MAX_FUNCTION_LINES) long.add(`${f.path}:${fn.name}`);
    }
    const known = new Set(KNOWN_LONG);
    assert.deepEqual([...long].filter((e) => !known.has(e)).sort(), [], 'split these');
    assert.deepEqual(
      KNOWN_LONG.filter((e) => !long.has(e)),
      [],
      'now within limits: remove them from KNOWN_LONG',
    );
  });

  it('names every test that trains a model *.train.test.ts, so that test:fast can leave it out', () => {
    const testDir = join(root, 'test');
    const trains = /\b(runTraining|trainTinyFillMask|trainTinyTranslation|Trainer\.create)\(/;
    const untagged = sourceFiles(testDir)
      .filter((f) => f.endsWith('.test.ts') && !f.endsWith('.train.test.ts'))
      .filter((f) => trains.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    assert.deepEqual(untagged, []);
  });
});
