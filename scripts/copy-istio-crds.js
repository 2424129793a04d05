// Copies the CRD file of the pinned Istio release into assets/ (gitignored,
// shipped in the npm tarball) so IstioControlPlane can emit the CRDs. Runs
// before compile and before tests. The source is
// ../shared/istio/<release>/crd-all.gen.yaml (or $CDK8S_MESH_SHARED/istio/<release>/),
// where <release> is ISTIO_VERSION of src/control-plane/istio-release.ts, the
// one place the release is defined.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const releaseFile = path.join(root, 'src', 'control-plane', 'istio-release.ts');
const match = /export const ISTIO_VERSION = '([0-9]+\.[0-9]+\.[0-9]+)';/.exec(fs.readFileSync(releaseFile, 'utf8'));
if (!match) {
  console.error(`copy-istio-crds: no "export const ISTIO_VERSION = 'X.Y.Z';" line in ${path.relative(root, releaseFile)}`);
  process.exit(1);
}
const release = match[1];
const shared = process.env.CDK8S_MESH_SHARED ?? path.resolve(root, '..', 'shared');
const src = path.join(shared, 'istio', release, 'crd-all.gen.yaml');
const dest = path.join(root, 'assets', 'istio', 'crd-all.gen.yaml');

if (!fs.existsSync(src)) {
  console.error(`copy-istio-crds: ${src} not found (check out shared/ beside the repository or set CDK8S_MESH_SHARED)`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(dest), { recursive: true });
fs.copyFileSync(src, dest);
console.log(`copy-istio-crds: Istio ${release} -> ${path.relative(root, dest)} (${fs.statSync(dest).size} bytes)`);
