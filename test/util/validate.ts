import { App, Chart, Testing, Yaml } from 'cdk8s';
import { IConstruct } from 'constructs';
import * as YAML from 'yaml';
import { GATEWAY_API_GROUP, validateGatewayApiObject } from './gateway-api-schema';
import { isIstioGroup, validateIstioObject } from './istio-schema';
import { validateKubernetesObject } from './k8s-schema';
import { memoized, remember, remembered } from './memo';

/**
 * The one gate every synthesized test object passes through.
 *
 * - Istio kinds: strict CRD schema of the served version (unknown fields rejected).
 * - Gateway API kinds (`gateway.networking.k8s.io`): strict CRD schema of the served
 *   version in the pinned standard channel (see gateway-api-schema.ts).
 * - Kubernetes kinds: strict Kubernetes 1.28 schema plus kubernetes-models.
 * - Anything else: rejected, unless its group is listed in `extraGroups`
 *   with a validator of its own.
 */

export type ObjectValidator = (obj: any) => string[];
const extraValidators = new Map<string, ObjectValidator>();

/** Registers a validator for a non-Kubernetes, non-Istio API group (e.g. argoproj.io). */
export function registerGroupValidator(group: string, validator: ObjectValidator): void {
  if (group === GATEWAY_API_GROUP || isIstioGroup(group)) throw new Error(`${group} objects are always validated strictly against their CRDs; no other validator can be registered for them`);
  extraValidators.set(group, validator);
}

function describe(obj: any): string {
  return `${obj?.kind ?? '?'} ${obj?.metadata?.namespace ? obj.metadata.namespace + '/' : ''}${obj?.metadata?.name ?? '?'} (${obj?.apiVersion ?? '?'})`;
}

/**
 * Validates one object; returns error strings. An object identical (as JSON) to one
 * found valid before, with the same validators registered, is not validated again
 * (see memo.ts).
 */
export function validateObject(obj: any): string[] {
  const input = `${[...extraValidators.keys()].sort().join(',')}\n${JSON.stringify(obj)}`;
  if (remembered('valid-object', input)) return [];
  const errors = validateUncached(obj);
  if (errors.length === 0) remember('valid-object', input);
  return errors;
}

/** The documents of a YAML stream as plain objects (as `cdk8s synth` output is read back). */
export function parseYamlDocuments(yaml: string): any[] {
  return memoized('yaml-documents', yaml, () => YAML.parseAllDocuments(yaml).map((d) => d.toJS()).filter((d) => d));
}

function validateUncached(obj: any): string[] {
  if (!obj || typeof obj !== 'object' || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
    return ['not a Kubernetes object (apiVersion and kind are required)'];
  }
  if (!obj.metadata || typeof obj.metadata.name !== 'string' || obj.metadata.name === '') {
    return ['metadata.name is required'];
  }
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  if (group === GATEWAY_API_GROUP) return validateGatewayApiObject(obj);
  const extra = extraValidators.get(group);
  if (extra) return extra(obj);
  if (isIstioGroup(group)) return validateIstioObject(obj);
  return validateKubernetesObject(obj);
}

/** Throws one error listing every invalid object and why. */
export function assertValidManifests(objects: any[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const obj of objects) {
    const errors = validateObject(obj);
    if (errors.length) problems.push(`${describe(obj)}:\n    ${errors.join('\n    ')}`);
    const key = `${obj?.apiVersion}|${obj?.kind}|${obj?.metadata?.namespace ?? ''}|${obj?.metadata?.name}`;
    if (seen.has(key)) problems.push(`${describe(obj)}: duplicate object (same apiVersion, kind, namespace and name)`);
    seen.add(key);
  }
  if (problems.length) {
    throw new Error(`${problems.length} invalid object(s):\n  ${problems.join('\n  ')}`);
  }
}

/** Runs the construct validations cdk8s runs in `app.synth()`, with the same message format. */
export function runValidations(scope: IConstruct): void {
  const errors: string[] = [];
  for (const child of scope.node.root.node.findAll()) {
    for (const e of child.node.validate()) errors.push(`[${child.node.path}] ${e}`);
  }
  if (errors.length) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
}

/**
 * Use instead of `Testing.synth(chart)`: runs construct validations, synthesizes
 * the chart, round-trips it through YAML exactly as `cdk8s synth` writes it, and
 * validates every object strictly.
 */
export function synthAndValidate(chart: Chart): any[] {
  runValidations(chart);
  const objects = parseYamlDocuments(Yaml.stringify(...Testing.synth(chart)));
  assertValidManifests(objects);
  return objects;
}

/** Synthesizes every chart of an app (validations first) and returns YAML per chart id; all objects validated. */
export function synthAppAndValidate(app: App): Map<string, { yaml: string; objects: any[] }> {
  runValidations(app);
  const out = new Map<string, { yaml: string; objects: any[] }>();
  for (const chart of app.charts) {
    const yaml = Yaml.stringify(...chart.toJson());
    const objects = parseYamlDocuments(yaml);
    assertValidManifests(objects);
    out.set(chart.node.id, { yaml, objects });
  }
  return out;
}

/** Finds objects by kind (and optionally name) in synthesized output. */
export function findObjects(objects: any[], kind: string, name?: string): any[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
}

/** Finds exactly one object by kind and name; fails otherwise. */
export function findObject(objects: any[], kind: string, name: string): any {
  const found = findObjects(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} named ${name}, found ${found.length}`);
  return found[0];
}
