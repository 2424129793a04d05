import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { k8s } from 'cdk8s-plus-28';
import { addKubernetesFormats } from './formats';

/**
 * Strict validation of Kubernetes objects against the Kubernetes 1.28 API.
 *
 * Two independent checks:
 * 1. a JSON schema built from the typed Kubernetes 1.28 L1 classes that
 *    cdk8s-plus-28 ships (its jsii assembly lists every field of every kind,
 *    its type and whether it is required), with unknown fields rejected;
 * 2. the ajv validators of `kubernetes-models` (formats, required fields,
 *    types) for the same kind.
 * An object of a kind neither knows fails.
 */

const PLUS_DIR = path.dirname(require.resolve('cdk8s-plus-28/package.json'));
const PREFIX = 'cdk8s-plus-28.k8s.';

interface Assembly { types: Record<string, any> }
let assembly: Assembly | undefined;
let renames: Map<string, string> | undefined;
const validators = new Map<string, ValidateFunction | string>();
const ajv = new Ajv({ allErrors: true, strict: false });
addKubernetesFormats(ajv);

function loadAssembly(): Assembly {
  if (!assembly) assembly = JSON.parse(fs.readFileSync(path.join(PLUS_DIR, '.jsii'), 'utf8'));
  return assembly!;
}

/** jsii property name -> JSON field name, where they differ (e.g. `$ref`, `x-kubernetes-*`). */
function jsonRenames(): Map<string, string> {
  if (renames) return renames;
  renames = new Map();
  const js = fs.readFileSync(path.join(PLUS_DIR, 'lib', 'imports', 'k8s.js'), 'utf8');
  for (const m of js.matchAll(/'([^']+)': (?:toJson_\w+\()?obj\.([A-Za-z0-9_]+)/g)) {
    if (m[1] !== m[2]) renames.set(m[2], m[1]);
  }
  return renames;
}

function typeSchema(t: any, defs: Record<string, any>): any {
  if (t.primitive) {
    switch (t.primitive) {
      case 'string': return { type: 'string' };
      case 'number': return { type: 'number' };
      case 'boolean': return { type: 'boolean' };
      case 'date': return { type: 'string', format: 'date-time' };
      default: return {};
    }
  }
  if (t.collection) {
    const el = typeSchema(t.collection.elementtype, defs);
    return t.collection.kind === 'array' ? { type: 'array', items: el } : { type: 'object', additionalProperties: el };
  }
  if (t.fqn) {
    const name = t.fqn.startsWith(PREFIX) ? t.fqn.slice(PREFIX.length) : t.fqn;
    if (name === 'IntOrString') return { anyOf: [{ type: 'integer' }, { type: 'string' }] };
    if (name === 'Quantity') return { anyOf: [{ type: 'number' }, { type: 'string' }] };
    const type = loadAssembly().types[t.fqn];
    if (!type) return {};
    if (type.kind === 'enum') return { type: 'string' };
    if (type.kind !== 'interface') return {};
    // free-form structures whose contents are schemas or arbitrary JSON
    if (name === 'JsonSchemaProps') return { type: 'object' };
    if (!defs[name]) {
      defs[name] = {}; // placeholder breaks recursion
      defs[name] = structSchema(type, defs);
    }
    return { $ref: `#/definitions/${name}` };
  }
  return {};
}

function structSchema(type: any, defs: Record<string, any>): any {
  const properties: Record<string, any> = {};
  const required: string[] = [];
  const rn = jsonRenames();
  for (const p of type.properties ?? []) {
    const json = rn.get(p.name) ?? p.name;
    properties[json] = typeSchema(p.type, defs);
    if (!p.optional) required.push(json);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The props struct of each L1 class with a GVK, keyed by `apiVersion/kind`. */
function kindIndex(): Map<string, string> {
  const index = new Map<string, string>();
  for (const [name, cls] of Object.entries(k8s)) {
    const gvk = (cls as any)?.GVK;
    if (gvk && loadAssembly().types[`${PREFIX}${name}Props`]) {
      index.set(`${gvk.apiVersion}/${gvk.kind}`, `${PREFIX}${name}Props`);
    }
  }
  return index;
}
let kinds: Map<string, string> | undefined;

function validatorFor(apiVersion: string, kind: string): ValidateFunction | string {
  const key = `${apiVersion}/${kind}`;
  const cached = validators.get(key);
  if (cached) return cached;
  kinds ??= kindIndex();
  const props = kinds.get(key);
  if (!props) {
    validators.set(key, `unknown Kubernetes 1.28 kind ${kind} in ${apiVersion}`);
    return validators.get(key)!;
  }
  const defs: Record<string, any> = {};
  const root = structSchema(loadAssembly().types[props], defs);
  root.properties.apiVersion = { const: apiVersion };
  root.properties.kind = { const: kind };
  root.required.push('apiVersion', 'kind');
  root.definitions = defs;
  const fn = ajv.compile(root);
  validators.set(key, fn);
  return fn;
}

function modelsValidate(obj: any): string[] {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : [undefined, obj.apiVersion];
  const dir = group ? `${group}/${version}` : version;
  let mod: any;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(`kubernetes-models/${dir}/${obj.kind}`);
  } catch {
    return [`kubernetes-models has no ${obj.apiVersion} ${obj.kind}`];
  }
  const Model = mod[obj.kind];
  try {
    new Model(obj).validate();
    return [];
  } catch (e: any) {
    return [`kubernetes-models: ${e.message}`];
  }
}

/** Validates one Kubernetes object; returns error strings (empty when valid). */
export function validateKubernetesObject(obj: any): string[] {
  const fn = validatorFor(obj.apiVersion, obj.kind);
  if (typeof fn === 'string') return [fn];
  const errors: string[] = [];
  if (!fn(obj)) {
    for (const e of fn.errors ?? []) {
      const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as any).additionalProperty}'` : '';
      errors.push(`${e.instancePath || '/'} ${e.message}${extra}`);
    }
  }
  errors.push(...modelsValidate(obj));
  return errors;
}
