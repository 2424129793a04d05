/**
 * The README quick start as a program: extracts a `ts` snippet of README.md and runs it
 * against this repository's sources. Used by test/docs/readme.test.ts and by the
 * conformance driver (conformance/synth.ts), so the README text exists once.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as cdk8s from 'cdk8s';
import { App } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as ts from 'typescript';
import * as meshSources from '../../src';

/** The modules a README snippet may import; `cdk8s-mesh` is this repository's sources. */
const MODULES: Record<string, unknown> = { 'cdk8s': cdk8s, 'cdk8s-plus-28': kplus, 'cdk8s-mesh': meshSources };

/** The README's text. */
export const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The heading of the quick start snippet. */
export const QUICK_START_HEADING = '## Install and a first mesh (TypeScript)';

/** The first `ts` snippet after `heading`. */
export function snippetAfter(heading: string): string {
  const start = README.indexOf(heading);
  if (start < 0) throw new Error(`README has no '${heading}'`);
  const match = /```ts[^\n]*\n([\s\S]*?)```/.exec(README.slice(start));
  if (!match) throw new Error(`README has no ts snippet after '${heading}'`);
  return match[1];
}

/** The line a snippet ends with; runSnippet replaces it to get the app back. */
export const SYNTH_CALL = /^app\.synth\(\);$/m;

/** Runs a snippet against this repository's sources (instead of the published package); returns its `app` unsynthesized. */
export function runSnippet(source: string): App {
  if (!SYNTH_CALL.test(source)) throw new Error('README snippet does not end with app.synth();');
  // the snippet ends with app.synth(), which would write dist/: hand the app to the caller instead
  const program = source.replace(SYNTH_CALL, 'exports.__app = app;');
  const js = ts.transpileModule(program, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
  const mod = { exports: {} as any };
  const requireForSnippet = (name: string) => {
    if (!(name in MODULES)) throw new Error(`README snippet imports '${name}', which the quick start does not install`);
    return MODULES[name];
  };
  new Function('require', 'module', 'exports', js)(requireForSnippet, mod, mod.exports);
  return mod.exports.__app;
}
