import * as fs from 'fs';
import * as path from 'path';
import type * as TS from 'typescript';

/**
 * TypeScript's compiler API, loaded when a CRD-model kind is first validated: every test
 * file loads this module (through test/util), and most never validate such a kind.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const typescript = (): typeof TS => require('typescript');
import { validateKubernetesObject } from './k8s-schema';
import { registerGroupValidator } from './validate';

/**
 * Strict validation of custom resources whose CRDs are published as
 * `@kubernetes-models/*` packages: Argo CD (`Application`, `AppProject`),
 * Argo Rollouts (`Rollout`, `AnalysisTemplate`) and the Prometheus operator
 * (`PodMonitor`, `ServiceMonitor`, `PrometheusRule`).
 *
 * Two checks:
 * 1. the package's model (generated from the published CRD): types, enums,
 *    required fields and formats. The models accept unknown fields, so
 * 2. a known-field check of our own: the field tree of each kind is read from
 *    the same package's TypeScript declarations (`I<Kind>` interfaces, one
 *    property per CRD field) and every field of the object must be in it.
 * A Rollout's pod template is also validated as a Kubernetes 1.28
 * PodTemplateSpec (the Rollout CRD does not spell it out).
 */

type FieldTree = { kind: 'any' } | { kind: 'leaf' } | { kind: 'object'; props: Map<string, FieldTree>; values?: FieldTree } | { kind: 'array'; items: FieldTree };

const ANY: FieldTree = { kind: 'any' };
const LEAF: FieldTree = { kind: 'leaf' };

/** `apiVersion/kind` -> the model package and file that describe it. */
const KINDS: Record<string, { pkg: string; file: string }> = {
  'argoproj.io/v1alpha1/Application': { pkg: '@kubernetes-models/argo-cd', file: 'argoproj.io/v1alpha1/Application' },
  'argoproj.io/v1alpha1/AppProject': { pkg: '@kubernetes-models/argo-cd', file: 'argoproj.io/v1alpha1/AppProject' },
  'argoproj.io/v1alpha1/Rollout': { pkg: '@kubernetes-models/argo-rollouts', file: 'argoproj.io/v1alpha1/Rollout' },
  'argoproj.io/v1alpha1/AnalysisTemplate': { pkg: '@kubernetes-models/argo-rollouts', file: 'argoproj.io/v1alpha1/AnalysisTemplate' },
  'monitoring.coreos.com/v1/PodMonitor': { pkg: '@kubernetes-models/prometheus-operator', file: 'monitoring.coreos.com/v1/PodMonitor' },
  'monitoring.coreos.com/v1/ServiceMonitor': { pkg: '@kubernetes-models/prometheus-operator', file: 'monitoring.coreos.com/v1/ServiceMonitor' },
  'monitoring.coreos.com/v1/PrometheusRule': { pkg: '@kubernetes-models/prometheus-operator', file: 'monitoring.coreos.com/v1/PrometheusRule' },
};

/**
 * Fields newer than the published model package (the models lag the CRDs):
 * `apiVersion/kind` -> field paths, each checked against the CRD of the
 * controller release we target, and by the `conformance/argo` Go check,
 * which decodes our Rollouts strictly with that release's own types.
 */
const NEWER_FIELDS: Record<string, string[][]> = {
  // argo-rollouts v1.10.2 ObjectRef.ScaleDown (manifests/crds/rollout-crd.yaml: spec.workloadRef.scaleDown, string)
  'argoproj.io/v1alpha1/Rollout': [['spec', 'workloadRef', 'scaleDown']],
};

const trees = new Map<string, FieldTree>();

function addField(tree: FieldTree, fieldPath: string[]): void {
  let node = tree;
  for (const [i, name] of fieldPath.entries()) {
    if (node.kind !== 'object') throw new Error(`NEWER_FIELDS: ${fieldPath.join('.')} does not lead through objects`);
    let next = node.props.get(name);
    if (!next) {
      next = i === fieldPath.length - 1 ? LEAF : { kind: 'object', props: new Map() };
      node.props.set(name, next);
    }
    node = next;
  }
}

function convert(node: TS.TypeNode | undefined): FieldTree {
  const ts = typescript();
  if (!node) return ANY;
  if (ts.isParenthesizedTypeNode(node)) return convert(node.type);
  if (ts.isTypeLiteralNode(node)) {
    const props = new Map<string, FieldTree>();
    let values: FieldTree | undefined;
    for (const m of node.members) {
      if (ts.isPropertySignature(m) && m.name) {
        const name = ts.isStringLiteral(m.name) || ts.isIdentifier(m.name) ? m.name.text : m.name.getText();
        props.set(name, convert(m.type));
      } else if (ts.isIndexSignatureDeclaration(m)) {
        values = convert(m.type);
      }
    }
    return { kind: 'object', props, values };
  }
  if (ts.isArrayTypeNode(node)) return { kind: 'array', items: convert(node.elementType) };
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === 'Array' && node.typeArguments?.length === 1) return { kind: 'array', items: convert(node.typeArguments[0]) };
    return ANY; // IObjectMeta, IIntOrString, ...: checked by the model's own validation
  }
  if (ts.isUnionTypeNode(node)) {
    const structured = node.types.map(convert).find((t) => t.kind === 'object' || t.kind === 'array');
    return structured ?? LEAF;
  }
  return LEAF;
}

function treeOf(key: string, kind: string): FieldTree {
  let tree = trees.get(key);
  if (!tree) {
    const { pkg, file } = KINDS[key];
    const dts = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), `${file}.d.ts`);
    const ts = typescript();
    const sf = ts.createSourceFile(dts, fs.readFileSync(dts, 'utf8'), ts.ScriptTarget.Latest, true);
    const iface = sf.statements.find((s): s is TS.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${kind}`);
    if (!iface) throw new Error(`no interface I${kind} in ${dts}`);
    const props = new Map<string, FieldTree>();
    for (const m of iface.members) {
      if (!ts.isPropertySignature(m) || !m.name) continue;
      props.set(ts.isStringLiteral(m.name) || ts.isIdentifier(m.name) ? m.name.text : m.name.getText(), convert(m.type));
    }
    tree = { kind: 'object', props };
    for (const p of NEWER_FIELDS[key] ?? []) addField(tree, p);
    trees.set(key, tree);
  }
  return tree;
}

function unknownFields(value: any, tree: FieldTree, at: string, out: string[]): void {
  if (value === null || value === undefined) return;
  if (tree.kind === 'object' && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) {
      const sub = tree.props.get(k) ?? tree.values;
      if (!sub) out.push(`${at}/${k} is not a field of the CRD (unknown field)`);
      else unknownFields(v, sub, `${at}/${k}`, out);
    }
  } else if (tree.kind === 'array' && Array.isArray(value)) {
    value.forEach((v, i) => unknownFields(v, tree.items, `${at}/${i}`, out));
  }
}

const METADATA_FIELDS = new Set(['name', 'namespace', 'labels', 'annotations', 'finalizers']);

/** Validates one object of a kind listed in KINDS; returns error strings (empty when valid). */
export function validateCrdModelObject(obj: any): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const spec = KINDS[key];
  if (!spec) return [`unknown kind ${obj.kind} in ${obj.apiVersion}`];
  const errors: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Model = require(`${spec.pkg}/${spec.file}`)[obj.kind];
  try {
    new Model(obj).validate();
  } catch (e: any) {
    errors.push(`${spec.pkg}: ${e.message}`);
  }
  unknownFields(obj, treeOf(key, obj.kind), '', errors);
  for (const k of Object.keys(obj.metadata ?? {})) if (!METADATA_FIELDS.has(k)) errors.push(`/metadata/${k} is not expected in a manifest`);
  if (obj.kind === 'Rollout' && obj.spec?.template) {
    const asDeployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: obj.metadata.name },
      spec: { selector: obj.spec.selector, template: obj.spec.template },
    };
    errors.push(...validateKubernetesObject(asDeployment).map((e) => `spec.template (as a Kubernetes PodTemplateSpec): ${e}`));
  }
  return errors;
}

for (const group of new Set(Object.keys(KINDS).map((k) => k.split('/')[0]))) registerGroupValidator(group, validateCrdModelObject);
