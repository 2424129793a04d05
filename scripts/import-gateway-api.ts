/**
 * Regenerates the typed Kubernetes Gateway API L1 classes
 * (`src/imports/gateway.networking.k8s.io.ts`) from the standard-channel CRDs
 * of the pinned Gateway API release
 * (`../shared/gateway-api/<GATEWAY_API_VERSION>/standard/*.yaml`, the release
 * of `src/control-plane/gateway-api-release.ts`).
 *
 * Like scripts/import-istio.ts: only the `v1` API version is kept (every
 * standard-channel kind serves it), every `description` string is removed
 * first (no upstream prose in the repository), and the CRDs are sorted by
 * name so the output is deterministic. Run with `npx projen import:gateway-api`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { GATEWAY_API_CHANNEL, GATEWAY_API_VERSION } from '../src/control-plane/gateway-api-release';

const ROOT = path.resolve(__dirname, '..');
const RELEASE_DIR = path.join('gateway-api', GATEWAY_API_VERSION, GATEWAY_API_CHANNEL);
const SOURCE = process.env.GATEWAY_API_CRDS ?? path.join(
  [process.env.CDK8S_MESH_SHARED, path.join(ROOT, '..', 'shared'), path.join(ROOT, '.upstream')]
    .find((d): d is string => d !== undefined && fs.existsSync(path.join(d, RELEASE_DIR)))
    ?? path.join(ROOT, '..', 'shared'),
  RELEASE_DIR);
const OUT_DIR = path.join(ROOT, 'src', 'imports');
const GROUP = 'gateway.networking.k8s.io';
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

interface CrdVersion { readonly name: string; readonly served: boolean }
interface Crd {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: { readonly group: string; readonly names: { readonly kind: string }; readonly versions: CrdVersion[] };
}

function main() {
  if (!fs.existsSync(SOURCE)) throw new Error(`Gateway API CRDs not found at ${SOURCE}: check out the shared/ folder beside the repository or set GATEWAY_API_CRDS`);
  const kept: Crd[] = [];
  for (const file of fs.readdirSync(SOURCE).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(SOURCE, file), 'utf8'))) {
      const crd = doc.toJS() as Crd | null;
      // the channel folder also holds a ValidatingAdmissionPolicy (safe upgrades): not a kind we emit
      if (!crd || crd.kind !== 'CustomResourceDefinition' || crd.spec.group !== GROUP) continue;
      const versions = crd.spec.versions.filter((v) => v.name === EMITTED_VERSION && v.served);
      if (versions.length === 0) continue;
      kept.push(stripDescriptions({
        apiVersion: crd.apiVersion,
        kind: crd.kind,
        metadata: { name: crd.metadata.name },
        spec: { ...crd.spec, versions },
      }) as Crd);
    }
  }
  kept.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gateway-api-crds-'));
  const input = path.join(tmp, 'gateway-api.yaml');
  const out = path.join(tmp, 'out');
  fs.writeFileSync(input, kept.map((d) => YAML.stringify(d)).join('---\n'));
  execFileSync('cdk8s', ['import', input, '--output', out, '--language', 'typescript', '--no-check-upgrade'], {
    stdio: 'inherit',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
  const generated = fs.readdirSync(out).sort();
  if (generated.length !== 1 || generated[0] !== `${GROUP}.ts`) throw new Error(`cdk8s import wrote ${generated.join(', ')}, expected ${GROUP}.ts`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.copyFileSync(path.join(out, generated[0]), path.join(OUT_DIR, generated[0]));
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`source ${SOURCE}`);
  console.log(`kept ${kept.length} CRDs at ${EMITTED_VERSION}: ${kept.map((c) => c.spec.names.kind).join(', ')}`);
  console.log(`wrote src/imports/${generated[0]}`);
}

main();
