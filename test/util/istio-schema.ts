import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import * as YAML from 'yaml';
import { addKubernetesFormats } from './formats';
import { memoized } from './memo';
import { ISTIO_VERSION } from '../../src/control-plane/istio-release';

/**
 * Strict validation of Istio objects against the `openAPIV3Schema` of the
 * served CRD version in the CRD file of the pinned Istio release
 * (`../shared/istio/<ISTIO_VERSION>/crd-all.gen.yaml`, the file the package ships).
 *
 * Kubernetes prunes unknown fields instead of rejecting them, so the upstream
 * schemas never say `additionalProperties: false`; we add it to every object
 * schema that lists `properties` and does not preserve unknown fields, so a
 * misspelled field fails. `x-kubernetes-int-or-string` accepts an integer or a
 * string. CEL rules (`x-kubernetes-validations`) are not evaluated here: the
 * library's own synth-time validation covers the rules it can break.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const RELEASE_CRDS = path.join('istio', ISTIO_VERSION, 'crd-all.gen.yaml');
/**
 * The pinned upstream data: $CDK8S_MESH_SHARED, else ../shared beside the clone, else .upstream/
 * (filled by `node scripts/upstream-data.js`), the same order as scripts/upstream-data.js.
 */
export const SHARED_DIR = process.env.CDK8S_MESH_SHARED
  ?? [path.resolve(REPO_ROOT, '..', 'shared'), path.join(REPO_ROOT, '.upstream')].find((d) => fs.existsSync(path.join(d, RELEASE_CRDS)))
  ?? path.resolve(REPO_ROOT, '..', 'shared');
/** Release data of the pinned Istio release (CRDs, injection templates, values, goldens). */
export const ISTIO_RELEASE_DIR = path.join(SHARED_DIR, 'istio', ISTIO_VERSION);
export const ISTIO_CRD_FILE = path.join(ISTIO_RELEASE_DIR, 'crd-all.gen.yaml');

interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly schema: any;
}

let crds: Map<string, CrdVersion[]> | undefined;
const compiled = new Map<string, ValidateFunction>();
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
addKubernetesFormats(ajv);

/** `group/kind` -> served versions, read once per test process. */
export function istioCrds(): Map<string, CrdVersion[]> {
  if (crds) return crds;
  if (!fs.existsSync(ISTIO_CRD_FILE)) {
    throw new Error(`Istio CRD file not found at ${ISTIO_CRD_FILE}: run node scripts/upstream-data.js, check out the shared/ folder beside the repository, or set CDK8S_MESH_SHARED`);
  }
  crds = new Map();
  for (const crd of memoized('yaml-documents', fs.readFileSync(ISTIO_CRD_FILE, 'utf8'), (yaml) => YAML.parseAllDocuments(yaml).map((d) => d.toJS()))) {
    if (!crd || crd.kind !== 'CustomResourceDefinition') continue;
    crds.set(`${crd.spec.group}/${crd.spec.names.kind}`, (crd.spec.versions as any[]).map((v) => ({
      name: v.name,
      served: v.served,
      schema: v.schema?.openAPIV3Schema,
    })));
  }
  return crds;
}

/** True if the apiVersion's group is one the Istio CRD file defines. */
export function isIstioGroup(group: string): boolean {
  for (const key of istioCrds().keys()) if (key.startsWith(`${group}/`)) return true;
  return false;
}

/** Returns a copy of an upstream schema made strict (see file comment). */
export function strictify(schema: any): any {
  if (Array.isArray(schema)) return schema.map(strictify);
  if (!schema || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith('x-kubernetes-')) continue;
    if (k === 'properties' || k === 'patternProperties') {
      out[k] = Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, strictify(pv)]));
    } else if (k === 'description') {
      continue;
    } else {
      out[k] = strictify(v);
    }
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (schema['x-kubernetes-preserve-unknown-fields']) {
    return out;
  }
  if (out.properties && out.additionalProperties === undefined) {
    out.additionalProperties = false;
  }
  return out;
}

function validatorFor(group: string, version: string, kind: string): ValidateFunction | string {
  const key = `${group}/${version}/${kind}`;
  const cached = compiled.get(key);
  if (cached) return cached;
  const versions = istioCrds().get(`${group}/${kind}`);
  if (!versions) return `unknown Istio kind ${kind} in group ${group}`;
  const v = versions.find((x) => x.name === version);
  if (!v) return `${kind} has no version ${version} (known: ${versions.map((x) => x.name).join(', ')})`;
  if (!v.served) return `${kind} version ${version} is not served`;
  const fn = ajv.compile(objectSchema(v.schema));
  compiled.set(key, fn);
  return fn;
}

/**
 * The schema a whole object is validated against: the CRD version's `openAPIV3Schema`
 * made strict (`strictify`), with the object envelope (`apiVersion`, `kind`, `metadata`)
 * and nothing else allowed beside it.
 */
export function objectSchema(openApiV3Schema: unknown): any {
  const root = strictify(openApiV3Schema);
  root.properties = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    ...root.properties,
  };
  root.additionalProperties = false;
  return root;
}

/** Validates one Istio object; returns error strings (empty when valid). */
export function validateIstioObject(obj: any): string[] {
  const [group, version] = String(obj.apiVersion).split('/');
  const fn = validatorFor(group, version, obj.kind);
  if (typeof fn === 'string') return [fn];
  if (fn(obj)) return [];
  return (fn.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as any).additionalProperty}'` : '';
    return `${e.instancePath || '/'} ${e.message}${extra}`;
  });
}
