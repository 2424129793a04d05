/**
 * The shape of src/, enforced.
 *
 * Folder = layer. A file may import files of its own folder (sub-folders included, e.g.
 * `gateways/private/*` belongs to `gateways`) and of any folder BELOW it in `LAYERS`;
 * never one above. `src/imports/` (generated L1s) sits below everything and is not
 * parsed. `src/index.ts` is the top layer (re-exports only).
 *
 * The synthesis pipeline the layers carry: constructs (gitops … control-plane) record
 * intent in the app's `MeshModel` (model/) and attach what renderers return; `synth/`
 * resolves the model into one immutable `MeshSnapshot` and runs the analysis and the
 * app-wide attachments at synth; `analysis/` holds every rule, reading the snapshot;
 * `render/` holds pure functions from the snapshot to typed L1 specs.
 *
 * Checks over every `src/**\/*.ts` outside `src/imports/`:
 *  - no file-level import cycle (Tarjan's strongly connected components), counting
 *    `import type` and `export ... from` too (eslint's `import/no-cycle` ignores type-only imports);
 *  - folder layering: every import points down (or stays in its folder);
 *  - renderers import only snapshot/model types and pure helpers, L1 types, other renderers;
 *  - no module-level mutable state, no `tryRemoveChild`, no import for its side effects;
 *  - the app's model is reached through `meshOf()` (which installs the pipeline);
 *  - constructors ≤ 60 lines, functions ≤ 80 lines;
 *  - no issue numbers and no `// ---` fences in comments (src, test, examples, docs).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

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
  'synth',
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

const ROOT = path.join(__dirname, '..');

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

const SOURCES = listSources(SRC);

/** The packages a module imports (non-relative specifiers). */
function packageImports(file: string): string[] {
  const text = stripComments(fs.readFileSync(file, 'utf8'));
  const out: string[] = [];
  IMPORT_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = IMPORT_RE.exec(text)) !== null) if (!m[1].startsWith('.')) out.push(m[1]);
  return out;
}

/**
 * What a renderer may read: other renderers, the generated L1 classes, the
 * snapshot with the model's types and pure helpers (never the model's state
 * or its resolution), and the shared value helpers.
 */
const RENDER_MODEL_FORBIDDEN = ['model/mesh-model', 'model/resolve', 'model/resolve-services', 'model/resolve-releases', 'model/resources', 'model/index'];
const RENDER_PRIVATE_ALLOWED = ['private/values', 'private/errors'];
const RENDER_PACKAGES = ['cdk8s-plus-28', 'yaml'];

export function rendererImportViolations(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph.edges) {
    if (layerOf(from) !== 'render') continue;
    for (const to of targets) {
      const layer = layerOf(to);
      const ok = layer === 'render'
        || (layer === 'model' && !RENDER_MODEL_FORBIDDEN.includes(to))
        || RENDER_PRIVATE_ALLOWED.includes(to);
      if (!ok) out.push(`${from} → ${to}`);
    }
    for (const pkg of packageImports(path.join(SRC, `${from}.ts`))) {
      if (!RENDER_PACKAGES.includes(pkg)) out.push(`${from} → package ${pkg}`);
    }
  }
  return out.sort();
}

/**
 * Module-level constants that memoize the read of a file shipped with the
 * package: their content never changes, so they are caches, not state.
 */
const READ_ONLY_FILE_CACHES: Record<string, string> = {
  'control-plane/private/crds:cache': 'the parsed CRD bundles shipped with the package',
  'control-plane/private/templates:templateCache': 'the injection templates shipped with the package',
  'private/yaml-emitter:selfCheck': 'whether the installed cdk8s writes YAML as the YAML writer does (computed once from the installed package)',
};

const MUTABLE_CONTAINERS = ['Record', 'Array', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Partial', 'Required'];

function isReadonlyType(type: ts.TypeNode | undefined): boolean {
  if (!type) return false;
  if (ts.isTypeOperatorNode(type) && type.operator === ts.SyntaxKind.ReadonlyKeyword) return true;
  if (ts.isTypeReferenceNode(type)) {
    const name = type.typeName.getText();
    // Readonly<…>, ReadonlyArray/Map/Set, or an interface of this package (their members are readonly)
    return name.startsWith('Readonly') || !MUTABLE_CONTAINERS.includes(name);
  }
  return false;
}

function isFrozen(init: ts.Expression): boolean {
  if (ts.isAsExpression(init) && init.type.getText() === 'const') return true;
  return ts.isCallExpression(init) && init.expression.getText() === 'Object.freeze';
}

/** Module-level `let`/`var`, mutable collections and literals, and static mutable class fields. */
export function moduleStateViolations(file: string): string[] {
  const sf = parse(file);
  const mod = moduleOf(file);
  const out: string[] = [];
  for (const st of sf.statements) {
    if (ts.isClassDeclaration(st)) {
      for (const m of st.members) {
        const mods = ts.canHaveModifiers(m) ? ts.getModifiers(m) ?? [] : [];
        const isStatic = mods.some((x) => x.kind === ts.SyntaxKind.StaticKeyword);
        const isReadonly = mods.some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword);
        if (ts.isPropertyDeclaration(m) && isStatic && !isReadonly) out.push(`${mod}: static ${m.name.getText()} is mutable`);
      }
    }
    if (!ts.isVariableStatement(st)) continue;
    // eslint-disable-next-line no-bitwise
    const isConst = (st.declarationList.flags & ts.NodeFlags.Const) !== 0;
    for (const d of st.declarationList.declarations) {
      const name = `${mod}:${d.name.getText()}`;
      if (READ_ONLY_FILE_CACHES[name]) continue;
      const init = d.initializer;
      if (!isConst) {
        out.push(`${name} is a module-level let/var`);
      } else if (init && ts.isNewExpression(init)) {
        const ctor = init.expression.getText();
        if (ctor.startsWith('Weak') || !isReadonlyType(d.type)) out.push(`${name} is a module-level new ${ctor}`);
      } else if (init && (ts.isArrayLiteralExpression(init) || ts.isObjectLiteralExpression(init)) && !isFrozen(init) && !isReadonlyType(d.type)) {
        out.push(`${name} is a mutable module-level literal (type it readonly or add \`as const\`)`);
      }
    }
  }
  return out;
}

/**
 * `new` calls of a renderer on a class it imports from a package or from the
 * generated L1s: building an object of the construct tree needs a scope,
 * which a renderer never has (it returns specs; the construct attaches them).
 */
export function rendererConstructions(file: string): string[] {
  const sf = parse(file);
  const imported = new Set<string>();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !st.importClause || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const spec = st.moduleSpecifier.text;
    if (spec.startsWith('.') && !/(^|\/)imports(\/|$)/.test(spec)) continue;
    const clause = st.importClause;
    if (clause.name) imported.add(clause.name.text);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) imported.add(bindings.name.text);
    if (bindings && ts.isNamedImports(bindings)) for (const e of bindings.elements) imported.add(e.name.text);
  }
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isNewExpression(n)) {
      let callee: ts.Expression = n.expression;
      while (ts.isPropertyAccessExpression(callee)) callee = callee.expression;
      if (ts.isIdentifier(callee) && imported.has(callee.text)) {
        out.push(`${moduleOf(file)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1} new ${n.expression.getText()}`);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Modules that call `node.addValidation` (a validation can change the tree before cdk8s renders it). */
export function validationInstallers(file: string): string[] {
  return /\.addValidation\(/.test(stripComments(fs.readFileSync(file, 'utf8'))) ? [moduleOf(file)] : [];
}

/** Functions longer than `limit` lines (constructors: `ctorLimit`), as `module:line name (n lines)`. */
export function oversizedFunctions(file: string, limit = 80, ctorLimit = 60): string[] {
  const sf = parse(file);
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isFunctionLike(n) && (n as ts.FunctionLikeDeclaration).body) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart()).line;
      const lines = sf.getLineAndCharacterOfPosition(n.end).line - start + 1;
      const isCtor = ts.isConstructorDeclaration(n);
      const owner = n.parent && ts.isClassDeclaration(n.parent) && n.parent.name ? `${n.parent.name.getText()}.` : '';
      const name = isCtor ? `${owner}constructor` : `${owner}${(n as ts.FunctionLikeDeclaration).name?.getText() ?? '<anonymous>'}`;
      if (lines > (isCtor ? ctorLimit : limit)) out.push(`${moduleOf(file)}:${start + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** Files of the repository a comment rule applies to. */
function repoFiles(dirs: string[], exts: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (['node_modules', 'imports', 'dist', 'cdk.out', 'out', '__snapshots__'].includes(e.name) || e.name.startsWith('.')) continue;
        walk(full);
      } else if (exts.some((x) => e.name.endsWith(x))) {
        out.push(full);
      }
    }
  };
  for (const d of dirs) walk(path.join(ROOT, d));
  return out.sort();
}

describe('the synthesis pipeline', () => {
  const graph = importGraph();

  test('renderers import only renderers, L1 classes, snapshot/model types and value helpers', () => {
    expect(rendererImportViolations(graph)).toEqual([]);
  });

  test('renderers build no construct: they return specs, constructs attach them', () => {
    expect(SOURCES.filter((f) => layerOf(moduleOf(f)) === 'render').flatMap(rendererConstructions)).toEqual([]);
  });

  test('only the pipeline installs validations (the one place allowed to attach objects at synth)', () => {
    expect(SOURCES.flatMap(validationInstallers)).toEqual(['synth/mesh']);
  });

  test('no module-level mutable state', () => {
    expect(SOURCES.flatMap(moduleStateViolations)).toEqual([]);
  });

  test('the checks catch what they are meant to catch', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arch-'));
    const file = path.join(dir, 'bad.ts');
    fs.writeFileSync(file, [
      'let counter = 0;',
      'const seen = new WeakMap<object, string>();',
      'const names = [\'a\'];',
      'const ok: readonly string[] = [\'a\'];',
      'const fine = { a: 1 } as const;',
      'export class C { static count = 0; static readonly MAX = 1; }',
      `function long() {\n${'  counter++;\n'.repeat(80)}}`,
    ].join('\n'));
    const renderer = path.join(dir, 'renderer.ts');
    fs.writeFileSync(renderer, [
      "import { ApiObject } from 'cdk8s';",
      "import * as kplus from 'cdk8s-plus-28';",
      "import { VirtualService } from '../imports/networking.istio.io';",
      "import { ProblemList } from './problems';",
      'export function bad(scope: any) {',
      "  new ApiObject(scope, 'a', { apiVersion: 'v1', kind: 'ConfigMap' });",
      "  new kplus.Deployment(scope, 'd');",
      "  new VirtualService(scope, 'vs', { spec: {} });",
      '  return [new ProblemList(), new Map(), kplus.k8s.Quantity.fromString(\'1\')];',
      '}',
      'export function configure(c: any) { c.node.addValidation({ validate: () => [] }); }',
    ].join('\n'));
    expect(rendererConstructions(renderer).map((v) => v.replace(/^.*:\d+ /, ''))).toEqual([
      'new ApiObject', 'new kplus.Deployment', 'new VirtualService',
    ]);
    expect(validationInstallers(renderer)).toHaveLength(1);
    const bad = moduleStateViolations(file).map((v) => v.slice(v.indexOf(':') + 1).trim()).sort();
    expect(bad).toEqual([
      'counter is a module-level let/var',
      'names is a mutable module-level literal (type it readonly or add `as const`)',
      'seen is a module-level new WeakMap',
      'static count is mutable',
    ]);
    expect(oversizedFunctions(file).map((v) => v.replace(/^.*:\d+ /, ''))).toEqual(['long (82 lines)']);
  });

  test('no construct removes a child (tryRemoveChild): presence is decided from the snapshot', () => {
    const uses = SOURCES.filter((f) => /\btryRemoveChild\b/.test(stripComments(fs.readFileSync(f, 'utf8')))).map(moduleOf);
    expect(uses).toEqual([]);
  });

  test('no module is imported for its side effects (rules are wired in the catalog)', () => {
    const uses = SOURCES.filter((f) => /(^|\n)\s*import\s+['"]/.test(stripComments(fs.readFileSync(f, 'utf8')))).map(moduleOf);
    expect(uses).toEqual([]);
  });

  test('constructs reach the model through meshOf(), which installs the pipeline', () => {
    const uses = SOURCES.map(moduleOf).filter((m) => !['model', 'synth'].includes(layerOf(m)) && m !== 'analysis/mesh-analysis')
      .filter((m) => /\bMeshModel\.of\(/.test(stripComments(fs.readFileSync(path.join(SRC, `${m}.ts`), 'utf8'))));
    expect(uses).toEqual([]);
  });

  test('constructors ≤ 60 lines, functions ≤ 80 lines', () => {
    expect(SOURCES.flatMap((f) => oversizedFunctions(f))).toEqual([]);
  });

  test('no issue numbers and no `// ---` fences (history belongs in CHANGELOG.md)', () => {
    const files = [
      ...repoFiles(['src', 'test', 'examples', 'docs'], ['.ts', '.md', '.go', '.py']),
      path.join(ROOT, '.projenrc.ts'),
    ];
    const issue = new RegExp(['\\bissues?', '#?\\d+\\b'].join(' '), 'i');
    const fence = /^\s*(\/\/|#)\s*-{3}/m;
    const found = files.filter((f) => issue.test(fs.readFileSync(f, 'utf8')) || fence.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(ROOT, f));
    expect(found).toEqual([]);
  });
});
