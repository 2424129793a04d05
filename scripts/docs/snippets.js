#!/usr/bin/env node
/**
 * Compiles every TypeScript snippet of the documentation (```ts blocks of
 * README.md and docs/**\/*.md) against the library's jsii assembly with
 * jsii-rosetta, in strict mode, with the fixtures of rosetta/ (`fixture=shop`,
 * `fixture=standalone`, or the default fixture), and writes the Python, Go,
 * Java and C# translations rosetta derives from the compiled source:
 *
 *   <out>/snippets.json   { "<sha256 of the TypeScript source>": { "python": "...", "go": "...", "java": "..." } }
 *
 * The site's build hook (scripts/docs/hooks.py) shows each snippet as tabs
 * from that file, so every language is translated from code that compiled.
 * A snippet that does not compile fails this script (exit 1) with its file
 * and line. Blocks fenced as ```typescript are shown as written and not
 * compiled (test code for jest, not library usage).
 *
 * Usage: node scripts/docs/snippets.js <out-dir>
 */
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const rosetta = require('jsii-rosetta');
// fixturize() is not in the package's exports map; its file is (rosetta's own fixture rules: /// here, hoisted imports)
const { fixturize } = require(path.join(path.dirname(require.resolve('jsii-rosetta')), 'fixtures.js'));

const ROOT = path.resolve(__dirname, '..', '..');
const LANGUAGES = ['python', 'go', 'java'];

/** Markdown files whose snippets the site shows: README.md and every page under docs/. */
function markdownFiles() {
  const files = [path.join(ROOT, 'README.md')];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) files.push(p);
    }
  };
  walk(path.join(ROOT, 'docs'));
  return files;
}

/**
 * The ```ts blocks of a markdown text: { source, info, line }. A block may be
 * indented (inside a list item); its lines are dedented by the fence's indent.
 * The same rule is implemented by hooks.py (the two must agree on `source`).
 */
function tsBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```ts(?:\s+(.*))?\s*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1];
    const body = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^${indent}\`\`\`\\s*$`).test(lines[j])) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
      j++;
    }
    blocks.push({ source: body.join('\n'), info: (open[2] ?? '').trim(), line: i + 1 });
    i = j;
  }
  return blocks;
}

/**
 * Rosetta writes one Python import line per use of a struct (`from m import A, A, A`):
 * list each name once. Nothing else of a translation is changed.
 */
function tidy(language, source) {
  if (language !== 'python') return source;
  return source.replace(/^from (\S+) import (.+)$/mg, (_line, mod, names) =>
    `from ${mod} import ${[...new Set(names.split(',').map((n) => n.trim()))].join(', ')}`);
}

function keyOf(source) {
  return crypto.createHash('sha256').update(source).digest('hex');
}

/** The packages a snippet compiles against: this package (its directory) and its peer dependencies. */
function compilationDependencies() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const deps = { [pkg.name]: { type: 'concrete', resolvedDirectory: fs.realpathSync(ROOT) } };
  for (const name of Object.keys({ ...pkg.peerDependencies, ...pkg.dependencies })) {
    deps[name] = { type: 'concrete', resolvedDirectory: fs.realpathSync(path.join(ROOT, 'node_modules', name)) };
  }
  return deps;
}

async function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node scripts/docs/snippets.js <out-dir>');
  const assemblyFile = path.join(ROOT, '.jsii');
  if (!fs.existsSync(assemblyFile)) throw new Error('.jsii is missing: run `npx projen compile` first');
  const assembly = JSON.parse(fs.readFileSync(assemblyFile, 'utf8'));
  const dependencies = compilationDependencies();

  const snippets = [];
  const seen = new Set();
  for (const file of markdownFiles()) {
    const rel = path.relative(ROOT, file);
    for (const block of tsBlocks(fs.readFileSync(file, 'utf8'))) {
      const key = keyOf(block.source);
      if (seen.has(key)) continue;
      seen.add(key);
      let snippet = rosetta.typeScriptSnippetFromVisibleSource(block.source,
        { api: { api: 'file', fileName: rel }, field: { field: 'markdown', line: block.line } },
        true, rosetta.parseMetadataLine(block.info));
      snippet = rosetta.updateParameters(snippet, { [rosetta.SnippetParameters.$PROJECT_DIRECTORY]: ROOT });
      snippet = { ...fixturize({ ...snippet, compilationDependencies: dependencies }), compilationDependencies: dependencies };
      snippets.push({ key, snippet, where: `${rel}:${block.line}` });
    }
  }

  fs.mkdirSync(out, { recursive: true });
  const cacheFile = path.join(out, 'snippets.tabl.json');
  const translator = new rosetta.RosettaTranslator({ assemblies: [assembly], includeCompilerDiagnostics: true });
  if (fs.existsSync(cacheFile)) await translator.addToCache(cacheFile);
  const todo = snippets.map((s) => s.snippet);
  const cached = translator.readFromCache(todo, true, true);
  const result = todo.length > 0 ? await translator.translateAll(todo, { addToTablet: true }) : { diagnostics: [] };
  const errors = result.diagnostics.filter((d) => d.isError);
  for (const d of errors) process.stderr.write(`${d.formattedMessage}\n`);
  if (errors.length > 0) {
    process.stderr.write(`docs snippets: ${errors.length} error(s) in ${snippets.length} snippets\n`);
    process.exit(1);
  }
  const translations = {};
  for (const s of snippets) {
    const translated = translator.tablet.tryGetSnippet(rosetta.TranslatedSnippet.fromTypeScript(s.snippet).key);
    if (!translated || translated.snippet.didCompile !== true) throw new Error(`${s.where}: no compiled translation`);
    translations[s.key] = Object.fromEntries(LANGUAGES.map((l) => [l, tidy(l, translated.get(l).source)]));
  }
  await translator.tablet.save(cacheFile);
  fs.writeFileSync(path.join(out, 'snippets.json'), JSON.stringify(translations, null, 1));
  process.stdout.write(`docs snippets: ${snippets.length} compiled (strict) and translated to ${LANGUAGES.join(', ')}`
    + ` (${cached.translations.length} from the cache)\n`);
}

module.exports = { tsBlocks, keyOf };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`docs snippets: ${e.message}\n`);
    process.exit(1);
  });
}
