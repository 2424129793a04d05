/**
 * Derives the runtime shapes of the public API (every public constructor,
 * static factory and method of the classes `src/index.ts` exports, the
 * structs, interfaces and enums they take) from the TypeScript types, and
 * writes them to `src/private/api-shapes.ts`, where `checkArgs()` reads
 * them to check what JavaScript and Python callers pass at run time.
 *
 * Run the `REGENERATE` command below after changing a public signature; `test/reliability/api-shapes.test.ts` fails while the
 * committed file is out of date.
 */
/* eslint-disable no-bitwise */ // TypeScript type and symbol flags are bit sets
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import type { ApiShapes, Param, Shape } from '../src/private/api-shape-types';

const ROOT = path.join(__dirname, '..');
const SRC = path.join(ROOT, 'src');
/** The command that regenerates the shapes file. */
export const REGENERATE = 'npx ts-node --skip-project -O \'{"module":"commonjs","esModuleInterop":true}\' scripts/api-shapes.ts';
export const SHAPES_FILE = path.join(SRC, 'private', 'api-shapes.ts');

function inSrc(decl: ts.Declaration | undefined): boolean {
  const file = decl?.getSourceFile().fileName;
  return !!file && path.resolve(file).startsWith(SRC + path.sep) && !file.includes(`${path.sep}imports${path.sep}`);
}

/** Builds the shapes of the public API from the TypeScript sources. */
export function buildApiShapes(): ApiShapes {
  const program = ts.createProgram([path.join(SRC, 'index.ts')], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node16, strict: true, experimentalDecorators: true, skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(path.join(SRC, 'index.ts'))!;
  const shapes: ApiShapes = { entries: {}, structs: {}, interfaces: {}, enums: {} };

  const propsOf = (type: ts.Type, at: ts.Node): Param[] => checker.getPropertiesOfType(type)
    .filter((p) => !p.name.startsWith('_'))
    .map((p) => {
      const t = checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration ?? at);
      const param: Param = { n: p.name, t: shapeOf(t, at) };
      return (p.flags & ts.SymbolFlags.Optional) ? { ...param, o: 1 as const } : param;
    })
    .sort((a, b) => a.n.localeCompare(b.n));

  const isConstructType = (type: ts.Type) => !!checker.getPropertyOfType(type, 'node');

  function shapeOf(type: ts.Type, at: ts.Node): Shape {
    if (type.isUnion()) {
      const parts = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null | ts.TypeFlags.Void)));
      if (parts.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return 'b';
      const enumSym = type.aliasSymbol ?? type.symbol;
      if (enumSym && (enumSym.flags & ts.SymbolFlags.Enum) && parts.length === type.types.length) return enumShape(enumSym);
      if (parts.length === 1) return shapeOf(parts[0], at);
      const parents = new Set(parts.map((t) => (t.symbol as any)?.parent));
      if (parts.every((t) => t.flags & ts.TypeFlags.EnumLiteral) && parents.size === 1) return enumShape([...parents][0]);
      return '*';
    }
    if (type.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)) return 's';
    if (type.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return 'n';
    if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return 'b';
    if (type.flags & ts.TypeFlags.EnumLiteral) {
      const sym = type.symbol.flags & ts.SymbolFlags.EnumMember ? (type.symbol as any).parent : type.symbol;
      return enumShape(sym);
    }
    if (checker.isArrayType(type)) return { a: shapeOf(checker.getTypeArguments(type as ts.TypeReference)[0], at) };
    if (!(type.flags & ts.TypeFlags.Object)) return '*';
    const sym = type.getSymbol() ?? type.aliasSymbol;
    const stringIndex = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    if (stringIndex && checker.getPropertiesOfType(type).length === 0) return { m: shapeOf(stringIndex.type, at) };
    if (!sym) return '*';
    if (type.getCallSignatures().length > 0) return '*';
    const name = sym.getName();
    if (sym.flags & ts.SymbolFlags.Class) return isConstructType(type) ? { c: name, k: 1 } : { c: name };
    if (!(sym.flags & ts.SymbolFlags.Interface)) return '*';
    const decl = sym.declarations?.[0];
    if (name === 'IConstruct') return { c: 'Construct', k: 1 };
    if (!inSrc(decl)) return '*';
    if (/^I[A-Z]/.test(name)) {
      if (!(name in shapes.interfaces)) {
        shapes.interfaces[name] = [];
        shapes.interfaces[name] = checker.getPropertiesOfType(type).map((p) => p.name).filter((n) => !n.startsWith('_')).sort();
      }
      return isConstructType(type) ? { i: name, k: 1 } : { i: name };
    }
    if (!(name in shapes.structs)) {
      shapes.structs[name] = [];
      shapes.structs[name] = propsOf(type, decl ?? at);
    }
    return { r: name };
  }

  function enumShape(sym: ts.Symbol): Shape {
    const name = sym.getName();
    if (!(name in shapes.enums)) {
      const members: Record<string, string> = {};
      for (const decl of sym.declarations ?? []) {
        if (!ts.isEnumDeclaration(decl)) continue;
        for (const m of decl.members) {
          const v = checker.getConstantValue(m);
          members[m.name.getText()] = String(v);
        }
      }
      shapes.enums[name] = members;
    }
    return { e: name };
  }

  const paramsOf = (sig: ts.SignatureDeclaration): Param[] => sig.parameters.map((p) => {
    const t = checker.getTypeAtLocation(p);
    if (p.dotDotDotToken) {
      const element = checker.isArrayType(t) ? checker.getTypeArguments(t as ts.TypeReference)[0] : t;
      return { n: p.name.getText(), t: shapeOf(element, p), v: 1 as const };
    }
    const param: Param = { n: p.name.getText(), t: shapeOf(t, p) };
    return p.questionToken || p.initializer ? { ...param, o: 1 as const } : param;
  });
  const isPublic = (m: ts.ClassElement) => {
    const mods = ts.getCombinedModifierFlags(m as ts.Declaration);
    return !(mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) && !(m.name && m.name.getText().startsWith('_'))
      && !ts.getJSDocTags(m).some((t) => t.tagName.text === 'internal');
  };

  const moduleSym = checker.getSymbolAtLocation(index)!;
  const exported = checker.getExportsOfModule(moduleSym).map((s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s));
  for (const sym of exported.sort((a, b) => a.getName().localeCompare(b.getName()))) {
    const decl = sym.declarations?.find(ts.isClassDeclaration);
    if (!decl) continue;
    const cls = sym.getName();
    for (const m of decl.members) {
      if (!isPublic(m)) continue;
      let key: string | undefined;
      if (ts.isConstructorDeclaration(m)) key = `${cls}.new`;
      else if (ts.isMethodDeclaration(m)) key = `${cls}.${m.name.getText()}`;
      if (!key || !ts.isFunctionLike(m)) continue;
      const params = paramsOf(m as ts.SignatureDeclaration);
      if (params.length === 0) continue;
      if (key in shapes.entries) throw new Error(`duplicate entry point ${key}`);
      shapes.entries[key] = params;
    }
  }
  return sortKeys(shapes);
}

function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as any;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as any)[k])])) as any;
  }
  return value;
}

/** The source text of `src/private/api-shapes.ts` for the given shapes. */
export function renderApiShapes(shapes: ApiShapes): string {
  const q = (v: unknown) => JSON.stringify(v).replace(/"([A-Za-z_$][\w$]*)":/g, '$1:').replace(/"/g, '\'');
  const section = (name: string, rec: Record<string, unknown>) => [
    `  ${name}: {`,
    ...Object.entries(rec).map(([k, v]) => `    ${q(k)}: ${q(v)},`),
    '  },',
  ];
  return [
    '// Generated by scripts/api-shapes.ts from the public API (src/index.ts): do not edit.',
    `// Regenerate with \`${REGENERATE}\`.`,
    '/* eslint-disable */',
    'import type { ApiShapes } from \'./api-shape-types\';',
    '',
    'export const API_SHAPES: ApiShapes = {',
    ...section('entries', shapes.entries),
    ...section('structs', shapes.structs),
    ...section('interfaces', shapes.interfaces),
    ...section('enums', shapes.enums),
    '};',
    '',
  ].join('\n');
}

if (require.main === module) {
  fs.writeFileSync(SHAPES_FILE, renderApiShapes(buildApiShapes()));
  process.stdout.write(`wrote ${path.relative(ROOT, SHAPES_FILE)}\n`);
}
