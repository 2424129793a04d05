/**
 * Regenerates the typed Istio L1 classes in `src/imports/` from the CRD file
 * of the pinned Istio release (`../shared/istio/<ISTIO_VERSION>/crd-all.gen.yaml`,
 * the release of `src/control-plane/istio-release.ts`).
 *
 * Only the API versions this library emits (`v1`) are kept, and every
 * `description` string is removed first, so no upstream prose ends up in the
 * repository. Run with `npx projen import:istio`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { ISTIO_VERSION } from '../src/control-plane/istio-release';

const ROOT = path.resolve(__dirname, '..');
// the pinned release's file, wherever scripts/upstream-data.js keeps it (../shared, or .upstream/ in a clone without shared/)
const RELEASE_CRDS = path.join('istio', ISTIO_VERSION, 'crd-all.gen.yaml');
const SOURCE = process.env.ISTIO_CRDS ?? path.join(
  [process.env.CDK8S_MESH_SHARED, path.join(ROOT, '..', 'shared'), path.join(ROOT, '.upstream')]
    .find((d): d is string => d !== undefined && fs.existsSync(path.join(d, RELEASE_CRDS)))
    ?? path.join(ROOT, '..', 'shared'),
  RELEASE_CRDS);
const OUT = path.join(ROOT, 'src', 'imports');
const EMITTED_VERSION = 'v1';

function stripDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripDescriptions);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'description' && typeof v === 'string') continue;
      out[k] = stripDescriptions(v);
    }
    return out;
  }
  return node;
}

function main() {
  const docs = YAML.parseAllDocuments(fs.readFileSync(SOURCE, 'utf8'))
    .map((d) => d.toJS())
    .filter((d) => d && d.kind === 'CustomResourceDefinition');
  const kept: any[] = [];
  for (const crd of docs) {
    const versions = (crd.spec.versions as any[]).filter((v) => v.name === EMITTED_VERSION && v.served);
    if (versions.length === 0) continue;
    kept.push(stripDescriptions({
      apiVersion: crd.apiVersion,
      kind: crd.kind,
      metadata: { name: crd.metadata.name },
      spec: { ...crd.spec, versions },
    }));
  }
  kept.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'istio-crds-'));
  const file = path.join(tmp, 'istio.yaml');
  fs.writeFileSync(file, kept.map((d) => YAML.stringify(d)).join('---\n'));

  // only the Istio groups' files: src/imports also holds other generators' output (import:crd-kinds)
  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) if (f.endsWith('.istio.io.ts')) fs.rmSync(path.join(OUT, f));
  execFileSync('cdk8s', ['import', file, '--output', OUT, '--language', 'typescript', '--no-check-upgrade'], {
    stdio: 'inherit',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
  fs.rmSync(tmp, { recursive: true, force: true });
  const files = fs.readdirSync(OUT).filter((f) => f.endsWith('.istio.io.ts')).sort();
  console.log(`source ${SOURCE}`);
  console.log(`kept ${kept.length} CRDs at ${EMITTED_VERSION}: ${kept.map((c) => c.spec.names.kind).join(', ')}`);
  console.log(`wrote ${files.join(', ')}`);
}

main();
