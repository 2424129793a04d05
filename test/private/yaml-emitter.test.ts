import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import * as fc from 'fast-check';
import { readPrinted, snapshotValues } from './snapshot-values';
import { YamlEmitter } from '../../src/private/yaml-emitter';

/**
 * The fast YAML writer gives exactly what cdk8s's `Yaml.stringify` gives: on
 * hand-picked values for every quoting and block rule, on random JSON-shaped
 * documents built from YAML's significant characters, and on every committed
 * snapshot. (test/analysis/mesh-app-yaml.test.ts compares whole synthesized
 * programs with cdk8s's own `App.synth()`.)
 */

function same(docs: unknown[]): { fallbacks: number } {
  const emitter = new YamlEmitter();
  expect(emitter.stringify(docs)).toBe(Yaml.stringify(...docs));
  return { fallbacks: emitter.stats.fallbacks };
}

/** Characters with a meaning somewhere in YAML, plus ordinary ones. */
const YAML_CHARS = [
  'a', 'b', 'x', 'y', 'e', 'E', 'n', 'o', 'N', 'O', 'T', 't', '0', '1', '7', '9', '.', '_', '+', '-', ':', '?', '#', ' ', '\t', '\n', '"', "'",
  '!', '&', '*', '|', '>', '%', '@', '`', ',', '[', ']', '{', '}', '~', '<', '=', '\\', '/', '\r', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085',
  '\u00a0', '\u2028', 'é', 'π', '✓', '🙂', '\ud800',
];

/** Whole words that some YAML 1.1 type resolves. */
const YAML_WORDS = [
  'yes', 'Yes', 'YES', 'no', 'No', 'on', 'On', 'OFF', 'off', 'y', 'Y', 'n', 'N', 'true', 'True', 'FALSE', 'null', 'Null', 'NULL', '~', '',
  '0', '-0', '+1', '012', '0o17', '0x1F', '0b101', '1_000', '1:30', '190:20:30', '1.5', '.5', '1e3', '-1.5e-3', '.inf', '-.Inf', '.NaN', '6.8523015e+5',
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '<<', '=', '---', '...', '--- x', '... x', '%YAML', '-', '?', ':', '- x', '? x',
];

const yamlString = fc.oneof(
  { weight: 4, arbitrary: fc.stringOf(fc.constantFrom(...YAML_CHARS), { maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...YAML_WORDS) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...YAML_WORDS), fc.constantFrom(...YAML_CHARS), fc.constantFrom(...YAML_WORDS)).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.fullUnicodeString({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double()).map(String) },
  { weight: 1, arbitrary: fc.tuple(fc.stringOf(fc.constantFrom('a', ' ', '\n', '\t', '#', ':', '"'), { maxLength: 8 }), fc.nat(120)).map(([s, n]) => s + 'word '.repeat(n)) },
);

const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    yamlString,
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, 1e21, -1e-7, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    tie('array'),
    tie('object'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(yamlString, tie('value'), { maxKeys: 5 }),
}));

describe('YamlEmitter', () => {
  test('agrees with the installed cdk8s (its start-up self-check)', () => {
    expect(YamlEmitter.agreesWithCdk8s()).toBe(true);
  });

  describe('writes what Yaml.stringify writes', () => {
    test.each([
      ['plain strings', { a: 'svc-1', b: 'registry.example/svc:1.0.0', c: 'http://x.y/z?q=1', d: 'a b c', e: 'é✓🙂' }],
      ['strings that look like other types', { port: '80', ver: '1.10', yes: 'yes', off: 'Off', nul: 'null', tilde: '~', empty: '', date: '2024-01-01', time: '1:30', hex: '0x1F', oct: '0755', merge: '<<' }],
      ['strings that need quotes', { colon: 'a: b', hash: 'a #b', lead: ' a', trail: 'a ', endColon: 'a:', dash: '- a', star: '*a', pct: '%a', bq: '`a', q1: "it's", q2: 'say "hi"', both: '\'"', brace: '{a}' }],
      ['control characters and unicode', { nul: 'a\u0000b', bell: '\u0007', esc: '\u001b[0m', del: '\u007f', nel: '\u0085', nbsp: '\u00a0', ls: '\u2028', cr: 'a\rb', tab: 'a\tb', lone: '\ud800' }],
      ['multi-line strings', { clip: 'a\nb\n', strip: 'a\nb', keep: 'a\n\n', lead: '  a\nb', breaks: '\n\na', inner: 'a\n\n\nb\n', tabs: 'a\n\tb\n', spaces: 'a \n b\n' }],
      ['long strings (no folding)', { long: 'word '.repeat(60).trim(), longQuoted: `"${'x '.repeat(100)}`, longBlock: `${'y '.repeat(100)}\n${'z'.repeat(300)}\n` }],
      ['numbers, booleans and null', { int: 42, neg: -7, zero: -0, float: 0.1, exp: 1e21, small: 1e-7, nan: NaN, inf: Infinity, ninf: -Infinity, t: true, f: false, n: null, u: undefined }],
      ['special keys', { '': 1, '80': 2, 'true': 3, 'a: b': 4, 'x"y': 5, "x'y": 6, 'a b': 7, '-': 8, '? x': 9, '#': 10, 'é': 11, [`k${'e'.repeat(1000)}`]: 12 }],
      ['empty and nested collections', { m: {}, a: [], nested: [[], {}, [[1, [2]], { a: [{ b: {} }] }], [{ x: 1, y: [] }]], deep: { a: { b: { c: { d: ['e'] } } } } }],
      ['a Kubernetes object', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', labels: { 'app': 'web', 'app.kubernetes.io/version': '1.0' }, annotations: { 'sidecar.istio.io/inject': 'true' } },
        spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', args: ['--port', '8080'], env: [{ name: 'A', value: '1' }] }] } } },
      }],
    ])('%s', (_name, doc) => {
      expect(same([doc]).fallbacks).toBe(0);
    });

    test('several documents, undefined ones and root sequences', () => {
      same([{ a: 1 }, undefined, ['x', { y: 'z' }], {}, [], { b: 'multi\nline\n' }]);
    });

    test('documents outside the fast path are written by the library', () => {
      const shared = { a: 1 };
      const cyclic: Record<string, unknown> = { name: 'loop' };
      cyclic.self = cyclic;
      const docs = [
        { one: shared, two: shared }, // anchors and aliases
        { date: new Date(0) },
        { map: new Map([['a', 1]]) },
        { json: { toJSON: () => 'replaced' } },
        { hidden: Object.defineProperty({ a: 1 }, 'toJSON', { value: () => 'replaced', enumerable: false }) },
        { '---top': 'a key like a document marker' },
        { 'a\u2028%b': 'a key with a line like a directive' },
        cyclic,
        { [`k${'e'.repeat(1100)}`]: 'long key' },
        { multiLineKey: { 'a\nb': 1 } },
        'a root scalar',
        null,
        { whitespaceOnly: '\n  \n' },
        { trailingIndentedLine: 'a\n  ' },
        { multiLineWithControl: 'a\r\nb\n' },
      ];
      for (const doc of docs) expect(same([doc]).fallbacks).toBe(1);
    });

    test('random JSON-shaped documents', () => {
      let fastDocuments = 0;
      let documents = 0;
      fc.assert(fc.property(fc.array(fc.oneof(jsonValue.object, jsonValue.array, fc.constant(undefined)), { minLength: 1, maxLength: 3 }), (docs) => {
        const emitter = new YamlEmitter();
        expect(emitter.stringify(docs)).toBe(Yaml.stringify(...docs));
        documents += emitter.stats.documents;
        fastDocuments += emitter.stats.documents - emitter.stats.fallbacks;
      }), { numRuns: 3000, seed: 4242 });
      // the comparison means something only if most documents took the fast path
      expect(fastDocuments / documents).toBeGreaterThan(0.75);
    });

    test('random strings as values, keys and sequence items', () => {
      fc.assert(fc.property(yamlString, yamlString, (a, b) => {
        same([{ [a]: b, list: [a, b, { [b]: [a] }], nested: { deeper: { [a]: b } } }]);
      }), { numRuns: 5000, seed: 2424 });
    });
  });

  test('every committed snapshot: the objects it holds are written byte for byte as the library writes them', () => {
    const lib = cdk8sYaml();
    let yamlTexts = 0;
    let objectSnapshots = 0;
    for (const file of snapshotFiles(path.join(__dirname, '..'))) {
      for (const snapshot of snapshotValues(file)) {
        if (snapshot.startsWith('"')) {
          // YAML text: the objects it reads back to
          const text = snapshot.slice(1, -1);
          if (!/^(- )?(apiVersion|kind): /m.test(text)) continue;
          const docs = lib.parseAllDocuments(text, { version: '1.1' }).map((d) => d.toJS());
          const expected = Yaml.stringify(...docs);
          expect(new YamlEmitter().stringify(docs)).toBe(expected);
          // written by cdk8s (not by another writer with other options): the very text of the snapshot
          if (expected === text) yamlTexts++;
        } else {
          // objects printed by jest: read back (exactly: printing them again gives the snapshot)
          const value = readPrinted(snapshot);
          if (value === undefined) continue;
          const docs = Array.isArray(value) ? value : [value];
          expect(new YamlEmitter().stringify(docs)).toBe(Yaml.stringify(...docs));
          objectSnapshots++;
        }
      }
    }
    expect(yamlTexts).toBeGreaterThanOrEqual(29);
    // six snapshots hold strings that are themselves printed JSON and cannot be read back unambiguously;
    // their objects are in the examples, which test/analysis/mesh-app-yaml.test.ts compares whole
    expect(objectSnapshots).toBeGreaterThanOrEqual(37);
  });
});

/** The `yaml` library cdk8s writes with. */
function cdk8sYaml(): typeof import('yaml') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve('yaml', { paths: [path.dirname(require.resolve('cdk8s'))] }));
}

function snapshotFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...snapshotFiles(p));
    else if (e.name.endsWith('.snap')) out.push(p);
  }
  return out.sort();
}
