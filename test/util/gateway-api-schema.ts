import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import * as YAML from 'yaml';
import { addKubernetesFormats } from './formats';
import { objectSchema, SHARED_DIR } from './istio-schema';
import { memoized } from './memo';
import { GATEWAY_API_CHANNEL, GATEWAY_API_VERSION } from '../../src/control-plane/gateway-api-release';

/**
 * Strict validation of Kubernetes Gateway API objects (`gateway.networking.k8s.io`)
 * against the `openAPIV3Schema` of the served CRD version in the standard channel of
 * the pinned Gateway API release (`../shared/gateway-api/<GATEWAY_API_VERSION>/standard/`,
 * the CRDs the control plane installs), made strict exactly as the Istio kinds are
 * (`strictify`: unknown fields rejected, int-or-string accepted as either).
 *
 * Structural checks only: types, enums, patterns, formats, lengths, item counts and
 * required fields. The CEL rules of these CRDs (`x-kubernetes-validations`, e.g.
 * "a RequestRedirect and a URLRewrite filter cannot both set the path") and list-map
 * key uniqueness (`x-kubernetes-list-type: map`) are not evaluated here; the
 * renderers' own synth-time checks cover the rules they can break, and Istio's
 * conversion in the conformance oracle sees the result.
 */

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_CRD_DIR = path.join(SHARED_DIR, 'gateway-api', GATEWAY_API_VERSION, GATEWAY_API_CHANNEL);

interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly schema: unknown;
}

let crds: Map<string, CrdVersion[]> | undefined;
const compiled = new Map<string, ValidateFunction>();
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
addKubernetesFormats(ajv);
// Gateway.spec.addresses (IPAddress) values
addFormats(ajv, ['ipv4', 'ipv6']);

/** `kind` -> versions of the standard-channel CRDs, read once per test process. */
export function gatewayApiCrds(): Map<string, CrdVersion[]> {
  if (crds) return crds;
  if (!fs.existsSync(GATEWAY_API_CRD_DIR)) {
    throw new Error(`Gateway API CRDs not found at ${GATEWAY_API_CRD_DIR}: check out the shared/ folder beside the repository, or set CDK8S_MESH_SHARED`);
  }
  crds = new Map();
  for (const file of fs.readdirSync(GATEWAY_API_CRD_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const crd of memoized('yaml-documents', fs.readFileSync(path.join(GATEWAY_API_CRD_DIR, file), 'utf8'), (yaml) => YAML.parseAllDocuments(yaml).map((d) => d.toJS()))) {
      if (!crd || crd.kind !== 'CustomResourceDefinition' || crd.spec.group !== GATEWAY_API_GROUP) continue;
      crds.set(crd.spec.names.kind, (crd.spec.versions as any[]).map((v) => ({ name: v.name, served: v.served, schema: v.schema?.openAPIV3Schema })));
    }
  }
  return crds;
}

/**
 * The branches of `oneOf`/`anyOf`/`allOf`/`not` constrain an object the
 * enclosing schema already describes (e.g. Gateway `addresses`: a branch lists
 * only `type` to say "then `value` is an IP"): they must not be made strict on
 * their own, or they would reject the object's other fields. Marks each branch
 * as open before `strictify` runs; the enclosing schema stays strict.
 */
function openBranches(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openBranches);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
    if (k === 'oneOf' || k === 'anyOf' || k === 'allOf') {
      out[k] = (v as unknown[]).map((b) => ({ ...(openBranches(b) as object), 'x-kubernetes-preserve-unknown-fields': true }));
    } else if (k === 'not') {
      out[k] = { ...(openBranches(v) as object), 'x-kubernetes-preserve-unknown-fields': true };
    } else {
      out[k] = openBranches(v);
    }
  }
  return out;
}

function validatorFor(version: string, kind: string): ValidateFunction | string {
  const key = `${version}/${kind}`;
  const cached = compiled.get(key);
  if (cached) return cached;
  const versions = gatewayApiCrds().get(kind);
  if (!versions) return `unknown Gateway API kind ${kind} (standard channel ${GATEWAY_API_VERSION}: ${[...gatewayApiCrds().keys()].join(', ')})`;
  const v = versions.find((x) => x.name === version);
  if (!v) return `${kind} has no version ${version} (known: ${versions.map((x) => x.name).join(', ')})`;
  if (!v.served) return `${kind} version ${version} is not served`;
  const fn = ajv.compile(objectSchema(openBranches(v.schema)));
  compiled.set(key, fn);
  return fn;
}

/** Validates one Gateway API object; returns error strings (empty when valid). */
export function validateGatewayApiObject(obj: any): string[] {
  const [group, version] = String(obj.apiVersion).split('/');
  if (group !== GATEWAY_API_GROUP) return [`not a Gateway API object: ${obj.apiVersion}`];
  const fn = validatorFor(version, obj.kind);
  if (typeof fn === 'string') return [fn];
  if (obj.kind !== 'GatewayClass' && !obj.metadata?.namespace) return ['metadata.namespace is required (every Gateway API kind but GatewayClass is namespaced)'];
  if (fn(obj)) return [];
  return (fn.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as any).additionalProperty}'` : '';
    return `${e.instancePath || '/'} ${e.message}${extra}`;
  });
}
