import * as fs from 'fs';
import * as path from 'path';
import { Yaml } from 'cdk8s';
import type * as YamlLibrary from 'yaml';

/** Whether the installed cdk8s writes YAML as this writer does: a pure function of the installed package, computed once per process. */
const selfCheck = new Map<'agreement', boolean>();

/**
 * A YAML writer for the documents cdk8s synthesizes, producing text identical
 * to `Yaml.stringify` of cdk8s (the `yaml` library with the YAML 1.1 schema,
 * `lineWidth: 0`, `keepUndefined: true`), several times faster: it writes
 * JSON-shaped values (plain objects, arrays, strings, numbers, booleans, null)
 * straight to text instead of building the library's document tree, and
 * decides each distinct string's style once.
 *
 * The rules it applies are the library's for block collections and scalars:
 * - maps as `key: value` lines, sequences as `- item` lines indented under
 *   their key, empty collections as `{}` and `[]`;
 * - a single-line string is written plain unless plain would not read back as
 *   the same string (an indicator character first, `: ` or ` #` inside, a
 *   trailing space or colon, or a form the YAML 1.1 schema resolves to another
 *   type: `80`, `yes`, `null`, `~`, `2024-01-01`, `1:30`, `<<`...); then in
 *   single quotes if it holds a double quote and no single quote, else in
 *   double quotes with YAML's escapes; control characters force double quotes;
 * - a multi-line string is a literal block scalar (`|`, `|-`, `|+`, with an
 *   indentation indicator when it starts with a space);
 * - no line folding (`lineWidth: 0`).
 *
 * A document holding anything else falls back to `Yaml.stringify` for that
 * document alone: a value that is not JSON-shaped (class instances, `Date`,
 * `Map`, objects with `toJSON`), an object reached twice (the library writes
 * anchors and aliases), a root that is not a map or a sequence, a key longer
 * than 1024 characters, spanning lines or starting like a document marker, or
 * a multi-line string the library would quote (only whitespace, trailing
 * whitespace after its last line break, or control characters). Before its
 * first use the writer checks itself against `Yaml.stringify` on a sample of
 * every rule above and is not used at all if any differs (a cdk8s release
 * that writes YAML differently).
 */
export class YamlEmitter {
  /**
   * True if this emitter writes exactly what the installed cdk8s writes
   * (checked once per process on a sample covering every rule).
   */
  public static agreesWithCdk8s(): boolean {
    let same = selfCheck.get('agreement');
    if (same === undefined) {
      try {
        const emitter = new YamlEmitter();
        same = SELF_CHECK.every((docs) => emitter.stringify(docs) === Yaml.stringify(...docs));
      } catch {
        same = false;
      }
      selfCheck.set('agreement', same);
    }
    return same;
  }

  /** The rendering of each single-line string seen (values and keys render alike). */
  private readonly scalars = new Map<string, string>();
  /** The rendering of each key seen that the fast path writes. */
  private readonly keys = new Map<string, string>();
  private readonly tagTests: RegExp[] = scalarTagTests();
  private readonly indents: string[] = [''];
  private seen = new Set<object>();
  private documentsWritten = 0;
  private documentsFallenBack = 0;

  /**
   * The documents as one multi-document YAML string, byte for byte what
   * `Yaml.stringify(...docs)` returns.
   */
  public stringify(docs: readonly unknown[]): string {
    let out = '';
    for (let i = 0; i < docs.length; i++) {
      if (i > 0) out += '---\n';
      out += this.document(docs[i]);
    }
    return out;
  }

  /** Writes the documents to `file` as `Yaml.save(file, docs)` does. */
  public save(file: string, docs: readonly unknown[]): void {
    const text = YamlEmitter.agreesWithCdk8s() ? this.stringify(docs) : Yaml.stringify(...docs);
    fs.writeFileSync(file, text, { encoding: 'utf8' });
  }

  /** How many documents were written, and how many of them by the library (the fallback). */
  public get stats(): { readonly documents: number; readonly fallbacks: number } {
    return { documents: this.documentsWritten, fallbacks: this.documentsFallenBack };
  }

  private document(doc: unknown): string {
    this.documentsWritten++;
    if (doc === undefined) return '\n';
    this.seen = new Set();
    try {
      if (Array.isArray(doc) && Object.getPrototypeOf(doc) === Array.prototype) {
        this.enter(doc);
        return (doc.length === 0 ? '[]' : this.sequence(doc, 0)) + '\n';
      }
      if (isPlainObject(doc)) {
        this.enter(doc);
        const keys = Object.keys(doc);
        return (keys.length === 0 ? '{}' : this.map(doc, keys, 0)) + '\n';
      }
    } catch (e) {
      if (e !== UNSUPPORTED) throw e;
    }
    this.documentsFallenBack++;
    return Yaml.stringify(doc);
  }

  /** Marks an object as written in this document; an object reached twice needs an alias. */
  private enter(o: object): void {
    const before = this.seen.size;
    this.seen.add(o);
    if (this.seen.size === before) throw UNSUPPORTED;
  }

  private indent(depth: number): string {
    let s = this.indents[depth];
    if (s === undefined) {
      s = '  '.repeat(depth);
      this.indents[depth] = s;
    }
    return s;
  }

  /** A non-empty map whose pairs start at indentation `depth`. */
  private map(obj: Record<string, unknown>, keys: string[], depth: number): string {
    const sep = '\n' + this.indent(depth);
    let out = '';
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) out += sep;
      const key = keys[i];
      out += this.key(key) + ':' + this.pairValue(obj[key], depth + 1);
    }
    return out;
  }

  /** The text after `key:`, for a value whose own indentation is `depth`. */
  private pairValue(v: unknown, depth: number): string {
    switch (typeof v) {
      case 'string': return ' ' + this.string(v, depth);
      case 'number': return ' ' + number(v);
      case 'boolean': return v ? ' true' : ' false';
      case 'undefined': return ' null';
      case 'object': {
        if (v === null) return ' null';
        if (Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype) {
          this.enter(v);
          return v.length === 0 ? ' []' : '\n' + this.indent(depth) + this.sequence(v, depth);
        }
        if (isPlainObject(v)) {
          this.enter(v);
          const keys = Object.keys(v);
          return keys.length === 0 ? ' {}' : '\n' + this.indent(depth) + this.map(v, keys, depth);
        }
        throw UNSUPPORTED;
      }
      default: throw UNSUPPORTED;
    }
  }

  /** A non-empty sequence whose dashes are at indentation `depth`. */
  private sequence(items: unknown[], depth: number): string {
    const sep = '\n' + this.indent(depth);
    let out = '';
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out += sep;
      out += '- ' + this.item(items[i], depth + 1);
    }
    return out;
  }

  /** A sequence item, whose content is indented at `depth`. */
  private item(v: unknown, depth: number): string {
    switch (typeof v) {
      case 'string': return this.string(v, depth);
      case 'number': return number(v);
      case 'boolean': return v ? 'true' : 'false';
      case 'undefined': return 'null';
      case 'object': {
        if (v === null) return 'null';
        if (Array.isArray(v) && Object.getPrototypeOf(v) === Array.prototype) {
          this.enter(v);
          return v.length === 0 ? '[]' : this.sequence(v, depth);
        }
        if (isPlainObject(v)) {
          this.enter(v);
          const keys = Object.keys(v);
          return keys.length === 0 ? '{}' : this.map(v, keys, depth);
        }
        throw UNSUPPORTED;
      }
      default: throw UNSUPPORTED;
    }
  }

  /** A mapping key (always an implicit key: written on one line, at most 1024 characters). */
  private key(key: string): string {
    let s = this.keys.get(key);
    if (s === undefined) {
      if (key.includes('\n')) throw UNSUPPORTED;
      s = this.singleLine(key);
      // a plain top-level key holding a line that starts like a document marker is quoted, a nested one is not
      if (s.length > 1024 || (s === key && DOCUMENT_MARKER.test(key))) throw UNSUPPORTED;
      if (this.keys.size >= MAX_MEMOIZED) this.keys.clear();
      this.keys.set(key, s);
    }
    return s;
  }

  /** A string value whose content is indented at `depth`. */
  private string(v: string, depth: number): string {
    const s = this.scalars.get(v);
    if (s !== undefined) return s;
    if (v.includes('\n')) return this.literalBlock(v, this.indent(depth));
    return this.singleLine(v);
  }

  /** Style of a string without line breaks (the same in keys and values); memoized. */
  private singleLine(v: string): string {
    let s: string;
    if (CONTROL_CHARACTERS.test(v)) s = doubleQuoted(v);
    else if (NOT_PLAIN.test(v) || this.resolvesToOtherType(v)) s = quoted(v);
    else s = v;
    if (this.scalars.size >= MAX_MEMOIZED) this.scalars.clear();
    this.scalars.set(v, s);
    return s;
  }

  /** True if the plain scalar would read back as another type under the YAML 1.1 schema. */
  private resolvesToOtherType(v: string): boolean {
    for (const t of this.tagTests) if (t.test(v)) return true;
    return false;
  }

  /** A multi-line string as a literal block scalar whose lines are indented with `indent`. */
  private literalBlock(v: string, indent: string): string {
    if (CONTROL_CHARACTERS.test(v) || ONLY_WHITESPACE.test(v) || TRAILING_INDENTED_LINE.test(v)) throw UNSUPPORTED;
    // trailing whitespace decides the chomping indicator
    let bodyEnd = v.length;
    while (bodyEnd > 0 && isBlankChar(v.charCodeAt(bodyEnd - 1))) bodyEnd--;
    let tail = v.slice(bodyEnd);
    const firstBreak = tail.indexOf('\n');
    const chomp = firstBreak === -1 ? '-' : firstBreak !== tail.length - 1 ? '+' : '';
    if (tail.endsWith('\n')) tail = tail.slice(0, -1);
    tail = indentInnerBreaks(tail, indent);
    // leading spaces need an indentation indicator; leading line breaks are kept as they are
    let body = v.slice(0, bodyEnd);
    let leadingSpace = false;
    let lastLeadingBreak = -1;
    for (let i = 0; i < body.length; i++) {
      const c = body.charCodeAt(i);
      if (c === SPACE) leadingSpace = true;
      else if (c === NEWLINE) lastLeadingBreak = i;
      else break;
    }
    const head = indentBreaks(body.slice(0, lastLeadingBreak + 1), indent);
    body = indentBreaks(body.slice(lastLeadingBreak + 1), indent);
    return '|' + (leadingSpace ? '2' : '') + chomp + '\n' + indent + head + body + tail;
  }
}

/** Thrown inside a document the fast path does not write; the library writes it instead. */
const UNSUPPORTED: Readonly<Error> = new Error('outside the YAML fast path');

/** Strings memoized per emitter before the memo is cleared (bounds memory on huge apps). */
const MAX_MEMOIZED = 1_000_000;

const SPACE = 0x20;
const NEWLINE = 0x0a;
const TAB = 0x09;

/** Characters that force double quotes: C0/C1 controls other than tab and line feed, lone surrogates. */
const CONTROL_CHARACTERS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;

/**
 * A plain scalar may not start with an indicator or whitespace, be a lone `-`
 * or `?` (or one followed by a blank), contain `: ` or ` #`, or end with a
 * blank or a colon.
 */
const NOT_PLAIN = /^[\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][\t ]|:[\t ]|[\t ]#|[\t :]$/;

/** A line (after any line terminator JavaScript knows, `\u2028` included) starting like a directive or document marker. */
const DOCUMENT_MARKER = /^(?:%|---|\.\.\.)/m;
const ONLY_WHITESPACE = /^\s*$/;
const TRAILING_INDENTED_LINE = /\n[\t ]+$/;

function isBlankChar(c: number): boolean {
  return c === NEWLINE || c === SPACE || c === TAB;
}

/** An object the library writes as a map of its enumerable own keys (it calls a `toJSON` method instead). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function';
}

function number(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (Number.isNaN(v)) return '.nan';
  if (!Number.isFinite(v)) return v < 0 ? '-.inf' : '.inf';
  return JSON.stringify(v);
}

/** Single quotes for a string with double quotes and no single quote, else double quotes. */
function quoted(v: string): string {
  if (v.includes('"') && !v.includes("'")) return `'${v}'`;
  return doubleQuoted(v);
}

/** YAML's short escapes for the code points JSON writes as `\uXXXX`. */
const YAML_ESCAPES: ReadonlyMap<string, string> = new Map<string, string>([
  ['0000', '\\0'], ['0007', '\\a'], ['000b', '\\v'], ['001b', '\\e'],
  ['0085', '\\N'], ['00a0', '\\_'], ['2028', '\\L'], ['2029', '\\P'],
]);

/** A single-line string in double quotes: JSON's escapes, with YAML's short forms for `\u00XX`. */
function doubleQuoted(v: string): string {
  const json = JSON.stringify(v);
  if (!json.includes('\\u')) return json;
  let out = '';
  let copied = 0;
  for (let i = 1; i < json.length - 1; i++) {
    if (json[i] !== '\\') continue;
    if (json[i + 1] !== 'u') {
      i++;
      continue;
    }
    const code = json.slice(i + 2, i + 6);
    out += json.slice(copied, i) + (YAML_ESCAPES.get(code) ?? (code.startsWith('00') ? `\\x${code.slice(2)}` : `\\u${code}`));
    i += 5;
    copied = i + 1;
  }
  return out + json.slice(copied);
}

/** Every run of line breaks followed by `indent`. */
function indentBreaks(s: string, indent: string): string {
  return s.includes('\n') ? s.replace(/\n+/g, `$&${indent}`) : s;
}

/** Every run of line breaks that is not at the end of `s` followed by `indent`. */
function indentInnerBreaks(s: string, indent: string): string {
  if (!s.includes('\n')) return s;
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === NEWLINE) end--;
  return indentBreaks(s.slice(0, end), indent) + s.slice(end);
}

/**
 * The tests of the non-string scalar types of the YAML 1.1 schema, from the
 * `yaml` library that cdk8s writes with (a plain string matching one reads
 * back as that type, so it is quoted).
 */
function scalarTagTests(): RegExp[] {
  const lib = cdk8sYamlLibrary();
  const schema = new lib.Document(null, { version: '1.1' }).schema as unknown as {
    tags: TagLike[];
    compat?: TagLike[] | null;
  };
  return [...schema.tags, ...(schema.compat ?? [])]
    .filter((t) => t.default === true && t.tag !== 'tag:yaml.org,2002:str' && t.test instanceof RegExp)
    .map((t) => t.test as RegExp);
}

interface TagLike {
  readonly default?: boolean | string;
  readonly tag: string;
  readonly test?: RegExp;
}

/** The `yaml` module cdk8s itself loads (its bundled copy), else ours. */
function cdk8sYamlLibrary(): typeof YamlLibrary {
  try {
    const cdk8sDir = path.dirname(require.resolve('cdk8s'));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(require.resolve('yaml', { paths: [cdk8sDir] }));
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('yaml');
  }
}

/**
 * Documents exercising every rule of the fast path (and its fallbacks); the
 * emitter is used only if it writes all of them as the installed cdk8s does.
 */
const SELF_CHECK: readonly (readonly unknown[])[] = [
  [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'x', 'version': 'v1' }, annotations: { 'a/b': '' } },
      data: Object.fromEntries([
        '80', 'yes', 'on', 'No', '~', 'null', '2024-01-01', '1:30', '0755', '0x1F', '1_000', '1.5e3', '.inf', '<<', '-', '*x', '&a', '!x', '%x', '@x',
        'a: b', 'a #b', ' x', 'x ', 'x:', '- x', '? x', 'say "hi"', "it's", '\'"', 'a\u0001b\u001bc\u0000d\u007f', 'a\tb', 'π ✓ \u00a0', '--- x',
        'line1\nline2\n', 'a\nb', 'a\n\n', '  a\nb\n', '\n\na\n', 'a\n\n  b \n', 'a\tb\n\tc', 'x'.repeat(200),
      ].map((v, i) => [`v${i}`, v])),
    },
    {
      spec: { n: 1, f: 1.5, neg: -0, big: 1e21, nan: NaN, inf: -Infinity, t: true, f2: false, z: null, u: undefined, e: {}, a: [] },
      list: [[], {}, [1, ['x']], { k: [{ 'a': 'b', 'c': ['d'], '---x': 'nested marker' }] }, null, undefined, 'multi\nline'],
      keys: Object.fromEntries(['', '80', 'a: b', 'y', 'x"y', 'é'].map((k) => [k, k])),
    },
    [undefined, ['root', 'sequence']],
    {},
    [],
  ],
  // documents the library writes (fallbacks)
  [undefined, { '---x': 'top-level marker key' }, { a: '\n' }, { a: 'a\n  ' }, { a: 'a\r\nb' }, 'root scalar', { d: new Date(0) }],
];
