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
import * as fs from 'fs';
import * as path from 'path';
import { cdk8sImport, Crd, keepVersion, parseCrds, ROOT, sharedPath } from './crd-import';
import { GATEWAY_API_CHANNEL, GATEWAY_API_VERSION } from '../src/control-plane/gateway-api-release';

const SOURCE = sharedPath(path.join('gateway-api', GATEWAY_API_VERSION, GATEWAY_API_CHANNEL), 'GATEWAY_API_CRDS');
const OUT_DIR = path.join(ROOT, 'src', 'imports');
const GROUP = 'gateway.networking.k8s.io';
const EMITTED_VERSION = 'v1';

function main() {
  if (!fs.existsSync(SOURCE)) throw new Error(`Gateway API CRDs not found at ${SOURCE}: check out the shared/ folder beside the repository or set GATEWAY_API_CRDS`);
  const crds: Crd[] = [];
  for (const file of fs.readdirSync(SOURCE).filter((f) => f.endsWith('.yaml')).sort()) {
    // the channel folder also holds a ValidatingAdmissionPolicy (safe upgrades): not a kind we emit
    crds.push(...parseCrds(fs.readFileSync(path.join(SOURCE, file), 'utf8')).filter((c) => c.spec.group === GROUP));
  }
  const kept = keepVersion(crds, EMITTED_VERSION);
  const { files, cleanup } = cdk8sImport(kept, 'gateway-api');
  const generated = [...files.keys()];
  if (generated.length !== 1 || generated[0] !== `${GROUP}.ts`) throw new Error(`cdk8s import wrote ${generated.join(', ')}, expected ${GROUP}.ts`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.copyFileSync(files.get(generated[0])!, path.join(OUT_DIR, generated[0]));
  cleanup();
  console.log(`source ${SOURCE}`);
  console.log(`kept ${kept.length} CRDs at ${EMITTED_VERSION}: ${kept.map((c) => c.spec.names.kind).join(', ')}`);
  console.log(`wrote src/imports/${generated[0]}`);
}

main();
