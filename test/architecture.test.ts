/**
 * The shape of src/, enforced.
 *
 * Folder = layer. A file may import files of its own folder (sub-folders included, e.g.
 * `gateways/private/*` belongs to `gateways`) and of any folder BELOW it in `LAYERS`;
 * never one above. `src/imports/` (generated L1s) sits below everything and is not
 * parsed. `src/index.ts` is the top layer (re-exports only).
 *
 * Two checks, both over every `src/**\/*.ts` outside `src/imports/`:
 *  (a) no file-level import cycle (Tarjan's strongly connected components), counting
 *      `import type` and `export ... from` too — eslint's `import/no-cycle` (also on for
 *      src/) ignores type-only imports, so this test is the strict one;
 *  (b) folder layering: every import points down (or stays in its folder).
 *
 * Order (top → bottom), from the issue 14 design:
 *   index → gitops → rollouts → gateways → observability → services → security →
 *   traffic → control-plane → data-plane → analysis → render → model → private
 * Shared interfaces that let a lower layer talk about a higher one's constructs
 * (`IMeshService`, `IControlPlane`, ...) live in `model/` so the dependency points down.
 */
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.join(__dirname, '..', 'src');

export const LAYERS = [
  'index',
  'gitops',
  'rollouts',
  'gateways',
  'observability',
  'services',
  'security',
  'traffic',
  'control-plane',
  'data-plane',
  'analysis',
  'render',
  'model',
  'private',
];

/** path relative to src/, posix separators, without `.ts` */
type Module = string;

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path.relative(SRC, full) === 'imports') continue;
      out.push(...listSources(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      out.push(full);
    }
  }
  return out.sort();
}

function moduleOf(file: string): Module {
  return path.relative(SRC, file).split(path.sep).join('/').replace(/\.ts$/, '');
}

// `import x from '…'`, `import type { X } from '…'`, `import * as x from '…'`,
// `export { x } from '…'`, `export * from '…'`, `import '…'`, over several lines.
const IMPORT_RE = /(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
// `import('…')` in a type position
const DYNAMIC_RE = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
}

function resolve(fromFile: string, spec: string): Module | undefined {
  if (!spec.startsWith('.')) return undefined; // package
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const candidate of [base + '.ts', path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate)) return moduleOf(candidate);
  }
  throw new Error(`${moduleOf(fromFile)}: cannot resolve import '${spec}'`);
}

export interface ImportGraph {
  readonly modules: Module[];
  readonly edges: Map<Module, Set<Module>>;
}

export function importGraph(): ImportGraph {
  const files = listSources(SRC);
  const edges = new Map<Module, Set<Module>>();
  for (const file of files) {
    const text = stripComments(fs.readFileSync(file, 'utf8'));
    const targets = new Set<Module>();
    for (const re of [IMPORT_RE, DYNAMIC_RE]) {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        const target = resolve(file, m[1]);
        if (target === undefined || target === 'imports' || target.startsWith('imports/')) continue;
        targets.add(target);
      }
    }
    edges.set(moduleOf(file), targets);
  }
  return { modules: files.map(moduleOf), edges };
}

/** Tarjan's algorithm; returns the components with more than one module or a self-edge. */
export function cycles(graph: ImportGraph): Module[][] {
  let index = 0;
  const idx = new Map<Module, number>();
  const low = new Map<Module, number>();
  const onStack = new Set<Module>();
  const stack: Module[] = [];
  const out: Module[][] = [];

  const visit = (v: Module) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const component: Module[] = [];
      let w: Module;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.edges.get(v)?.has(v)) out.push(component.sort());
    }
  };
  for (const m of graph.modules) if (!idx.has(m)) visit(m);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/** One concrete cycle through a component, for the failure message: a → b → … → a. */
function cyclePath(graph: ImportGraph, component: Module[]): string {
  const members = new Set(component);
  const start = component[0];
  const prev = new Map<Module, Module>();
  const queue: Module[] = [start];
  const seen = new Set<Module>([start]);
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(graph.edges.get(v) ?? [])].sort()) {
      if (!members.has(w)) continue;
      if (w === start) {
        const chain = [v];
        while (chain[0] !== start) chain.unshift(prev.get(chain[0])!);
        return [...chain, start].join(' → ');
      }
      if (!seen.has(w)) {
        seen.add(w);
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return component.join(', ');
}

export function layerOf(m: Module): string {
  return m.includes('/') ? m.split('/')[0] : 'index';
}

/** Imports that point to a higher layer: `from → to` (module level). */
export function upwardImports(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph.edges) {
    const fromRank = LAYERS.indexOf(layerOf(from));
    for (const to of targets) {
      const toRank = LAYERS.indexOf(layerOf(to));
      if (toRank < fromRank) out.push(`${from} → ${to}  (${layerOf(from)} → ${layerOf(to)})`);
    }
  }
  return out.sort();
}

describe('architecture of src/', () => {
  const graph = importGraph();

  test('the parser sees the import graph (sanity)', () => {
    expect(graph.modules.length).toBeGreaterThan(50);
    // a multi-line import and an `import type` are both edges
    expect(graph.edges.get('index')!.size).toBeGreaterThan(10);
    for (const m of graph.modules) {
      expect(LAYERS).toContain(layerOf(m));
    }
  });

  test('no file-level import cycle (import type included)', () => {
    const found = cycles(graph).map(c => `  {${c.join(', ')}}\n    e.g. ${cyclePath(graph, c)}`);
    if (found.length > 0) {
      throw new Error(`${found.length} import cycle(s) in src/:\n${found.join('\n')}`);
    }
  });

  test(`folders are layers, imports point down: ${LAYERS.join(' → ')}`, () => {
    const up = upwardImports(graph);
    if (up.length > 0) {
      throw new Error(`${up.length} import(s) point up the layers:\n  ${up.join('\n  ')}`);
    }
  });
});
