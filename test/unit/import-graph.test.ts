import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The engine's shape, checked on the source: src/core never reaches up to the ways in (the
 * extension, CLI, worker, protocol, webview) or to vscode, and its top-level folders import each
 * other in one direction only, so that a generator depends on the release and the release on
 * nothing above it.
 */

const root = path.join(__dirname, '..', '..');
const core = path.join(root, 'src', 'core');

/**
 * Imports against the folder order that are known and not yet fixed: schema inference and the
 * schema file's loading live in schema/ beside the types, but read CSV files (csv/) and mine or
 * check rules (rules/), which themselves use the types. Remove an entry when its edge is gone
 * (the test fails while a listed edge no longer exists); never add one for the generation path.
 */
const KNOWN_UPWARD = new Set(['schema -> csv', 'schema -> rules']);

/** Folders a generator and the release stand on: no known exception may involve them. */
const GENERATION_PATH = ['release', 'privacy', 'model', 'pgm', 'generators', 'pipeline'];

interface Import {
  file: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** Static imports and re-exports, dynamic imports and requires: every way a module reaches another. */
function importsOf(file: string): Import[] {
  const text = fs.readFileSync(file, 'utf8');
  const patterns = [/\b(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gs, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => ({ file, specifier: m[1] })));
}

/** The top-level folder of src/core a file is in (undefined for files directly in src/core). */
function folderOf(file: string): string | undefined {
  const parts = path.relative(core, file).split(path.sep);
  return parts.length > 1 ? parts[0] : undefined;
}

function folderGraph(imports: Import[]): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const { file, specifier } of imports) {
    if (!specifier.startsWith('.')) continue;
    const from = folderOf(file);
    const target = path.resolve(path.dirname(file), specifier);
    if (path.relative(core, target).startsWith('..')) continue;
    const to = folderOf(target + '.ts');
    if (!from || !to || from === to) continue;
    const edges = graph.get(from) ?? new Map<string, string[]>();
    edges.set(to, [...(edges.get(to) ?? []), `${path.relative(core, file)} imports ${specifier}`]);
    graph.set(from, edges);
  }
  return graph;
}

/** Strongly connected components with more than one folder (Tarjan). */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  const nodes = new Set([...graph.keys(), ...[...graph.values()].flatMap((edges) => [...edges.keys()])]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return found;
}

const imports = sourceFiles(core).flatMap(importsOf);

test('no file of src/core imports vscode or the ways in (extension, CLI, worker, protocol, webview)', () => {
  const above = ['src/extension', 'src/cli', 'src/worker', 'src/protocol', 'webview'].map((p) => path.join(root, p));
  const offending = imports.filter(({ file, specifier }) => {
    if (specifier === 'vscode' || specifier.startsWith('vscode/')) return true;
    if (!specifier.startsWith('.')) return false;
    const target = path.resolve(path.dirname(file), specifier);
    return above.some((dir) => target === dir || target.startsWith(dir + path.sep));
  });
  assert.deepEqual(offending.map(({ file, specifier }) => `${path.relative(root, file)} imports ${specifier}`), []);
});

test('the top-level folders of src/core import each other without cycles', () => {
  const graph = folderGraph(imports);
  for (const edge of KNOWN_UPWARD) {
    const [from, to] = edge.split(' -> ');
    assert.ok(graph.get(from)?.has(to), `"${edge}" is no longer imported: remove it from KNOWN_UPWARD`);
    assert.ok(!GENERATION_PATH.includes(from) && !GENERATION_PATH.includes(to), `"${edge}" involves the generation path`);
    graph.get(from)!.delete(to);
  }
  const found = cycles(graph);
  const described = found.map((component) =>
    component
      .flatMap((from) => [...(graph.get(from) ?? [])].filter(([to]) => component.includes(to)).map(([to, why]) => `${from} -> ${to} (${why[0]}${why.length > 1 ? `, and ${why.length - 1} more` : ''})`))
      .join('; '),
  );
  assert.deepEqual(described, []);
});

test('the release, privacy and the generators stand below the pipeline, and model/ does not reach privacy/ or pgm/', () => {
  const graph = folderGraph(imports);
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    const walk = (v: string): boolean => v === to || (!seen.has(v) && (seen.add(v), [...(graph.get(v)?.keys() ?? [])].some(walk)));
    return walk(from);
  };
  for (const lower of ['release', 'privacy', 'model', 'pgm', 'generators']) assert.ok(!reaches(lower, 'pipeline'), `${lower}/ reaches pipeline/`);
  for (const lower of ['release', 'privacy', 'model', 'pgm']) assert.ok(!reaches(lower, 'generators'), `${lower}/ reaches generators/`);
  assert.ok(!reaches('release', 'privacy'), 'release/ reaches privacy/');
  assert.ok(!reaches('model', 'privacy') && !reaches('model', 'pgm'), 'model/ reaches privacy/ or pgm/');
});
