import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import * as YAML from 'yaml';
import { SHARED_DIR, strictify } from './util';
import { registerGroupValidator } from './util/validate';

/**
 * Strict structural validation of the Gateway API kinds the ambient rendering emits
 * (the waypoint `Gateway`), against the v1.5.1 standard-channel CRDs Istio 1.30.3 is built
 * on: unknown fields rejected, enums, patterns, required fields and bounds checked. CEL
 * rules (`x-kubernetes-validations`) are not evaluated. The gwapi branch adds the same
 * check to test/util for every Gateway API kind; this local registration stands in until
 * it is merged (the later registration wins, so both can coexist).
 */
const CRD_DIR = path.join(SHARED_DIR, 'gateway-api', 'v1.5.1', 'standard');
const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

function validatorFor(version: string, kind: string): ValidateFunction | string {
  const key = `${version}/${kind}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  for (const file of fs.readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(CRD_DIR, file), 'utf8')).map((d) => d.toJS())) {
      if (doc?.kind !== 'CustomResourceDefinition' || doc.spec.names.kind !== kind) continue;
      const v = doc.spec.versions.find((x: any) => x.name === version);
      if (!v) return `${kind} has no version ${version}`;
      if (!v.served) return `${kind} ${version} is not served`;
      const root = strictify(v.schema.openAPIV3Schema);
      root.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...root.properties };
      root.additionalProperties = false;
      const fn = ajv.compile(root);
      compiled.set(key, fn);
      return fn;
    }
  }
  return `unknown Gateway API kind ${kind}`;
}

export function validateGatewayApiObject(obj: any): string[] {
  const [, version] = String(obj.apiVersion).split('/');
  const fn = validatorFor(version, obj.kind);
  if (typeof fn === 'string') return [fn];
  if (!obj.metadata?.namespace && obj.kind !== 'GatewayClass') return ['metadata.namespace is required'];
  if (fn(obj)) return [];
  return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.keyword === 'additionalProperties' ? ` '${(e.params as any).additionalProperty}'` : ''}`);
}

registerGroupValidator('gateway.networking.k8s.io', validateGatewayApiObject);
