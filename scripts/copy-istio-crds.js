// Copies the CRD file of the pinned Istio release into assets/ (gitignored,
// shipped in the npm tarball) so IstioControlPlane can emit the CRDs. Runs
// before compile and before tests. <release> is ISTIO_VERSION of
// src/control-plane/istio-release.ts (the one place the release is defined);
// the file is istio/<release>/crd-all.gen.yaml of the upstream data folder that
// scripts/upstream-data.js resolves ($CDK8S_MESH_SHARED, ../shared, or .upstream/
// filled by `node scripts/upstream-data.js`); its sha256 must match its pin.
const fs = require('fs');
const path = require('path');
const { FILES, resolveDataDir, verify } = require('./upstream-data');

const root = path.resolve(__dirname, '..');
const releaseFile = path.join(root, 'src', 'control-plane', 'istio-release.ts');
const match = /export const ISTIO_VERSION = '([0-9]+\.[0-9]+\.[0-9]+)';/.exec(fs.readFileSync(releaseFile, 'utf8'));
if (!match) {
  console.error(`copy-istio-crds: no "export const ISTIO_VERSION = 'X.Y.Z';" line in ${path.relative(root, releaseFile)}`);
  process.exit(1);
}
const release = match[1];
const entry = FILES.find((e) => e.file === `istio/${release}/crd-all.gen.yaml`);
if (!entry) {
  console.error(`copy-istio-crds: scripts/upstream-data.js pins no CRD file for Istio ${release}`);
  process.exit(1);
}
const shared = resolveDataDir();
if (!shared) {
  console.error('copy-istio-crds: no upstream Istio data: run `node scripts/upstream-data.js` (downloads the pinned files into .upstream/), '
    + 'or check out shared/ beside the repository, or set CDK8S_MESH_SHARED');
  process.exit(1);
}
try {
  verify(shared, [entry]);
} catch (err) {
  console.error(`copy-istio-crds: ${err.message}`);
  process.exit(1);
}
const src = path.join(shared, entry.file);
const dest = path.join(root, 'assets', 'istio', 'crd-all.gen.yaml');
fs.mkdirSync(path.dirname(dest), { recursive: true });
fs.copyFileSync(src, dest);
console.log(`copy-istio-crds: Istio ${release} -> ${path.relative(root, dest)} (${fs.statSync(dest).size} bytes, sha256 ok)`);
