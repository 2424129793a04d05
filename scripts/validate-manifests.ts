/**
 * Runs every object of the `*.k8s.yaml` files in a folder through the strict
 * validator of the tests (test/util): Istio kinds against the pinned CRD
 * schemas, Kubernetes kinds against the 1.28 schema, Argo and Prometheus-operator
 * kinds against their models, unknown fields rejected. Used by CI on output
 * that `cdk8s synth` wrote outside jest (scripts/test-own-project.sh).
 *
 *   ts-node --project test/tsconfig.json scripts/validate-manifests.ts DIR
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { assertValidManifests } from '../test/util';

const dir = process.argv[2];
if (!dir || !fs.existsSync(dir)) {
  console.error(`validate-manifests: no folder '${dir ?? ''}'`);
  process.exit(2);
}
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml')).sort();
if (files.length === 0) {
  console.error(`validate-manifests: no *.k8s.yaml in ${dir}`);
  process.exit(1);
}
let total = 0;
let failed = false;
for (const file of files) {
  const objects = YAML.parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS()).filter((o) => o != null);
  try {
    assertValidManifests(objects);
    console.log(`validate-manifests: ${file}: ${objects.length} objects valid`);
  } catch (err) {
    console.error(`validate-manifests: ${file}: ${(err as Error).message}`);
    failed = true;
  }
  total += objects.length;
}
console.log(`validate-manifests: ${total} objects in ${files.length} files`);
process.exit(failed ? 1 : 0);
