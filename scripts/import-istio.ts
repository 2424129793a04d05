/**
 * Regenerates the typed Istio L1 classes in `src/imports/` from the CRD file
 * of the pinned Istio release (`../shared/istio/<ISTIO_VERSION>/crd-all.gen.yaml`,
 * the release of `src/control-plane/istio-release.ts`).
 *
 * Only the API versions this library emits (`v1`) are kept, and every
 * `description` string is removed first, so no upstream prose ends up in the
 * repository. Run with `npx projen import:istio`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { cdk8sImport, keepVersion, parseCrds, ROOT, sharedPath } from './crd-import';
import { ISTIO_VERSION } from '../src/control-plane/istio-release';

// the pinned release's file, wherever scripts/upstream-data.js keeps it (../shared, or .upstream/ in a clone without shared/)
const SOURCE = sharedPath(path.join('istio', ISTIO_VERSION, 'crd-all.gen.yaml'), 'ISTIO_CRDS');
const OUT = path.join(ROOT, 'src', 'imports');
const EMITTED_VERSION = 'v1';

function main() {
  const kept = keepVersion(parseCrds(fs.readFileSync(SOURCE, 'utf8')), EMITTED_VERSION);
  const { files, cleanup } = cdk8sImport(kept, 'istio');
  // only the Istio groups' files: src/imports also holds other generators' output (import:crd-kinds, import:gateway-api)
  fs.mkdirSync(OUT, { recursive: true });
  for (const f of fs.readdirSync(OUT)) if (f.endsWith('.istio.io.ts')) fs.rmSync(path.join(OUT, f));
  for (const [name, file] of files) {
    if (!name.endsWith('.istio.io.ts')) throw new Error(`cdk8s import wrote ${name}, expected only *.istio.io.ts files`);
    fs.copyFileSync(file, path.join(OUT, name));
  }
  cleanup();
  console.log(`source ${SOURCE}`);
  console.log(`kept ${kept.length} CRDs at ${EMITTED_VERSION}: ${kept.map((c) => c.spec.names.kind).join(', ')}`);
  console.log(`wrote ${[...files.keys()].join(', ')}`);
}

main();
