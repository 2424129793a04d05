// Copies the pinned upstream Istio CRD file into assets/ (gitignored, shipped in
// the npm tarball) so IstioControlPlane can emit the CRDs. Runs before compile
// and before tests. The source is ../shared/istio (or $CDK8S_MESH_SHARED/istio).
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const shared = process.env.CDK8S_MESH_SHARED ?? path.resolve(root, '..', 'shared');
const src = path.join(shared, 'istio', 'crd-all.gen.yaml');
const dest = path.join(root, 'assets', 'istio', 'crd-all.gen.yaml');

if (!fs.existsSync(src)) {
  console.error(`copy-istio-crds: ${src} not found (check out shared/ beside the repository or set CDK8S_MESH_SHARED)`);
  process.exit(1);
}
fs.mkdirSync(path.dirname(dest), { recursive: true });
fs.copyFileSync(src, dest);
console.log(`copy-istio-crds: ${path.relative(root, dest)} (${fs.statSync(dest).size} bytes)`);
