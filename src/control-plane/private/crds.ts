import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';

/**
 * The pinned upstream Istio CRD file, copied into the package at build time
 * (`assets/istio/crd-all.gen.yaml`, see the `copy:istio-crds` task). Same
 * relative location from `src/control-plane/private` (ts-jest) and
 * `lib/control-plane/private` (compiled).
 */
export const DEFAULT_CRD_FILE = path.join(__dirname, '..', '..', '..', 'assets', 'istio', 'crd-all.gen.yaml');

const cache = new Map<string, any[]>();

/** The CustomResourceDefinition documents of a CRD file, in file order (cached per path). */
export function loadCrds(file: string): any[] {
  const key = path.resolve(file);
  const hit = cache.get(key);
  if (hit) return hit;
  const docs = YAML.parseAllDocuments(fs.readFileSync(key, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${key}: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((d) => d !== null && d !== undefined);
  cache.set(key, docs);
  return docs;
}
