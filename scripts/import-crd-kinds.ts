/**
 * Regenerates the typed L1 classes of the non-Istio custom resources the
 * library emits (Argo CD `Application`/`AppProject`, Argo Rollouts
 * `Rollout`/`AnalysisTemplate`, Prometheus operator
 * `PodMonitor`/`ServiceMonitor`/`PrometheusRule`) into `src/imports/<group>.ts`.
 *
 * Source: the pinned `@kubernetes-models/*` devDependencies, present after
 * `npm ci` with no network. Those packages ship each kind's field tree as a
 * TypeScript declaration (`I<Kind>` in `<group>/<version>/<Kind>.d.ts`,
 * one property per CRD field, generated from the published CRD); their JSON
 * schemas are compiled into validator code and not readable as data. This
 * script turns the declaration of `spec` back into an `openAPIV3Schema`
 * (object/array/string/number/boolean, required fields, maps; `number |
 * string` as int-or-string), writes one CRD per kind, and runs the same
 * importer as `import:istio` (`cdk8s import`, the exact cdk8s-cli version of
 * package.json). No description is kept, so no upstream prose ends up in the
 * repository. Run with `npx projen import:crd-kinds`.
 *
 * Deliberate adjustments (OVERRIDES below), each because the generated
 * `toJson_*` functions drop every field the schema does not list:
 * - Rollout `spec.template` is a Kubernetes PodTemplateSpec rendered by
 *   cdk8s-plus (already typed and validated against Kubernetes 1.28); the
 *   model package's copy of it is older than Kubernetes 1.28, so it stays an
 *   open object here.
 * - AnalysisTemplate `spec.metrics[].provider.job` (a Kubernetes Job spec of an
 *   older release, never emitted: the analyses are Prometheus queries) stays an
 *   open object, which keeps the generated file a third of the size.
 * - Rollout `spec.workloadRef.scaleDown` (argo-rollouts v1.10.2, newer than
 *   the model package; the test harness lists the same field in
 *   `test/util/crd-model-schema.ts` NEWER_FIELDS).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';
import * as YAML from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'src', 'imports');

interface KindSource {
  /** The `@kubernetes-models/*` package. */
  readonly pkg: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
}

/** The kinds the library emits, by group. */
const KINDS: KindSource[] = [
  { pkg: '@kubernetes-models/argo-cd', group: 'argoproj.io', version: 'v1alpha1', kind: 'Application', plural: 'applications' },
  { pkg: '@kubernetes-models/argo-cd', group: 'argoproj.io', version: 'v1alpha1', kind: 'AppProject', plural: 'appprojects' },
  { pkg: '@kubernetes-models/argo-rollouts', group: 'argoproj.io', version: 'v1alpha1', kind: 'Rollout', plural: 'rollouts' },
  { pkg: '@kubernetes-models/argo-rollouts', group: 'argoproj.io', version: 'v1alpha1', kind: 'AnalysisTemplate', plural: 'analysistemplates' },
  { pkg: '@kubernetes-models/prometheus-operator', group: 'monitoring.coreos.com', version: 'v1', kind: 'PodMonitor', plural: 'podmonitors' },
  { pkg: '@kubernetes-models/prometheus-operator', group: 'monitoring.coreos.com', version: 'v1', kind: 'ServiceMonitor', plural: 'servicemonitors' },
  { pkg: '@kubernetes-models/prometheus-operator', group: 'monitoring.coreos.com', version: 'v1', kind: 'PrometheusRule', plural: 'prometheusrules' },
];

type Schema = Record<string, unknown>;

const OPEN_OBJECT: Schema = { 'type': 'object', 'x-kubernetes-preserve-unknown-fields': true };

/** Schema replacements and additions: `Kind` -> field path under `spec` (`[]`: array items) -> schema. */
const OVERRIDES: Record<string, { readonly path: string[]; readonly schema: Schema }[]> = {
  AnalysisTemplate: [
    { path: ['metrics', '[]', 'provider', 'job'], schema: OPEN_OBJECT },
  ],
  Rollout: [
    { path: ['template'], schema: OPEN_OBJECT },
    { path: ['workloadRef', 'scaleDown'], schema: { type: 'string' } },
  ],
};

function fail(message: string): never {
  throw new Error(`import-crd-kinds: ${message}`);
}

function propertyName(name: ts.PropertyName): string {
  if (ts.isStringLiteral(name) || ts.isIdentifier(name) || ts.isNumericLiteral(name)) return name.text;
  return fail(`unsupported property name ${name.getText()}`);
}

/** openAPIV3Schema of a declaration type node. */
function toSchema(node: ts.TypeNode, where: string): Schema {
  if (ts.isParenthesizedTypeNode(node)) return toSchema(node.type, where);
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword: return { type: 'string' };
    case ts.SyntaxKind.NumberKeyword: return { type: 'number' };
    case ts.SyntaxKind.BooleanKeyword: return { type: 'boolean' };
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword: return OPEN_OBJECT;
  }
  if (ts.isLiteralTypeNode(node)) {
    if (ts.isStringLiteral(node.literal)) return { type: 'string' };
    if (ts.isNumericLiteral(node.literal)) return { type: 'number' };
    if (node.literal.kind === ts.SyntaxKind.TrueKeyword || node.literal.kind === ts.SyntaxKind.FalseKeyword) return { type: 'boolean' };
    return fail(`unsupported literal type at ${where}: ${node.getText()}`);
  }
  if (ts.isUnionTypeNode(node)) {
    const isNull = (t: ts.TypeNode) => t.kind === ts.SyntaxKind.UndefinedKeyword
      || (ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword);
    const members = node.types.filter((t) => !isNull(t));
    const schemas = members.map((t) => toSchema(t, where));
    const types = new Set(schemas.map((s) => JSON.stringify(s)));
    if (types.size === 1) return schemas[0];
    const kinds = new Set(schemas.map((s) => s.type));
    // Kubernetes IntOrString (e.g. a port, a duration in seconds or "5m")
    if (kinds.size === 2 && kinds.has('number') && kinds.has('string')) return { 'anyOf': [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true };
    return fail(`unsupported union at ${where}: ${node.getText().slice(0, 120)}`);
  }
  if (ts.isArrayTypeNode(node)) return { type: 'array', items: toSchema(node.elementType, `${where}[]`) };
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === 'Array' && node.typeArguments?.length === 1) return { type: 'array', items: toSchema(node.typeArguments[0], `${where}[]`) };
    // a type of another package (e.g. IObjectMeta): an open object
    return OPEN_OBJECT;
  }
  if (ts.isTypeLiteralNode(node)) {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    let additional: Schema | undefined;
    for (const m of node.members) {
      if (ts.isPropertySignature(m) && m.type) {
        const name = propertyName(m.name);
        properties[name] = toSchema(m.type, `${where}.${name}`);
        if (!m.questionToken) required.push(name);
      } else if (ts.isIndexSignatureDeclaration(m)) {
        additional = toSchema(m.type, `${where}[*]`);
      } else {
        fail(`unsupported member at ${where}: ${m.getText().slice(0, 120)}`);
      }
    }
    if (Object.keys(properties).length === 0 && !additional) return OPEN_OBJECT;
    const out: Schema = { type: 'object' };
    if (Object.keys(properties).length) out.properties = properties;
    if (required.length) out.required = required;
    if (additional) out.additionalProperties = additional;
    return out;
  }
  return fail(`unsupported type at ${where}: ${ts.SyntaxKind[node.kind]} ${node.getText().slice(0, 120)}`);
}

/** The schema of `spec` of `I<Kind>` in the model package's declaration file. */
function specSchema(source: KindSource): Schema {
  const file = path.join(packageDir(source.pkg), source.group, source.version, `${source.kind}.d.ts`);
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const decl = sf.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${source.kind}`)
    ?? fail(`${file} declares no interface I${source.kind}`);
  const spec = decl.members.find((m): m is ts.PropertySignature => ts.isPropertySignature(m) && propertyName(m.name) === 'spec')
    ?? fail(`I${source.kind} has no spec`);
  const schema = toSchema(spec.type ?? fail(`I${source.kind}.spec has no type`), `${source.kind}.spec`);
  for (const o of OVERRIDES[source.kind] ?? []) {
    const where = `override ${source.kind}.spec.${o.path.join('.')}`;
    let node = schema;
    for (const [i, key] of o.path.entries()) {
      if (key === '[]') {
        node = node.type === 'array' ? node.items as Schema : fail(`${where}: not an array before []`);
        continue;
      }
      if (node.type !== 'object') fail(`${where}: not an object at ${key}`);
      const props = (node.properties ??= {}) as Record<string, Schema>;
      if (i === o.path.length - 1) props[key] = o.schema;
      else node = props[key] ?? fail(`${where}: no field ${key}`);
    }
  }
  return schema;
}

/** The installed package (its `exports` hide the declaration files from `require.resolve`). */
function packageDir(pkg: string): string {
  const dir = path.join(ROOT, 'node_modules', pkg);
  return fs.existsSync(path.join(dir, 'package.json')) ? dir : fail(`${pkg} is not installed: run npm ci`);
}

function packageVersion(pkg: string): string {
  return JSON.parse(fs.readFileSync(path.join(packageDir(pkg), 'package.json'), 'utf8')).version;
}

function crdOf(source: KindSource): Schema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${source.plural}.${source.group}` },
    spec: {
      group: source.group,
      names: { kind: source.kind, listKind: `${source.kind}List`, plural: source.plural, singular: source.kind.toLowerCase() },
      scope: 'Namespaced',
      versions: [{
        name: source.version,
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: specSchema(source) }, required: ['spec'] } },
      }],
    },
  };
}

function main() {
  const groups = [...new Set(KINDS.map((k) => k.group))];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crd-kinds-'));
  try {
    const file = path.join(tmp, 'crds.yaml');
    fs.writeFileSync(file, KINDS.map((k) => YAML.stringify(crdOf(k))).join('---\n'));
    const out = path.join(tmp, 'out');
    execFileSync('cdk8s', ['import', file, '--output', out, '--language', 'typescript', '--no-check-upgrade'], {
      stdio: 'inherit',
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
    });
    const written = fs.readdirSync(out).sort();
    const expected = groups.map((g) => `${g}.ts`).sort();
    if (JSON.stringify(written) !== JSON.stringify(expected)) fail(`cdk8s import wrote ${written.join(', ')}, expected ${expected.join(', ')}`);
    fs.mkdirSync(OUT, { recursive: true });
    for (const f of written) fs.copyFileSync(path.join(out, f), path.join(OUT, f));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  for (const pkg of [...new Set(KINDS.map((k) => k.pkg))]) console.log(`source ${pkg}@${packageVersion(pkg)}`);
  console.log(`kinds ${KINDS.map((k) => `${k.group}/${k.version}/${k.kind}`).join(', ')}`);
  console.log(`wrote ${groups.map((g) => `src/imports/${g}.ts`).join(', ')}`);
}

main();
