import * as fs from 'fs';
import * as path from 'path';
import { ApiObjectMetadata, ApiObjectProps } from 'cdk8s';
import * as YAML from 'yaml';

/**
 * The pinned upstream Istio CRD file, copied into the package at build time
 * (`assets/istio/crd-all.gen.yaml`, see the `copy:istio-crds` task). Same
 * relative location from `src/control-plane/private` (ts-jest) and
 * `lib/control-plane/private` (compiled).
 */
export const DEFAULT_CRD_FILE = path.join(__dirname, '..', '..', '..', 'assets', 'istio', 'crd-all.gen.yaml');

/** A CustomResourceDefinition document, ready to become an `ApiObject`. */
export interface CrdDocument extends ApiObjectProps {
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: ApiObjectMetadata & { readonly name: string };
}

/** True if a parsed document is a named CustomResourceDefinition. */
export function isCrd(doc: unknown): doc is CrdDocument {
  if (doc === null || typeof doc !== 'object') return false;
  const d = doc as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  return typeof d.apiVersion === 'string' && d.kind === 'CustomResourceDefinition' && typeof d.metadata?.name === 'string';
}

const cache = new Map<string, unknown[]>();

/** The documents of a CRD file, in file order (cached per path); check them with `isCrd`. */
export function loadCrds(file: string): unknown[] {
  const key = path.resolve(file);
  const hit = cache.get(key);
  if (hit) return hit;
  const docs = YAML.parseAllDocuments(fs.readFileSync(key, 'utf8'))
    .map((d): unknown => {
      if (d.errors.length) throw new Error(`${key}: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((d) => d !== null && d !== undefined);
  cache.set(key, docs);
  return docs;
}
