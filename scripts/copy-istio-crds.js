// Copies the pinned upstream Istio CRD file into assets/ (gitignored, shipped in
// the npm tarball) so IstioControlPlane can emit the CRDs. Runs before compile
// and before tests. The source is the upstream data folder that
// scripts/upstream-data.js resolves ($CDK8S_MESH_SHARED, ../shared, or .upstream/
// filled by `node scripts/upstream-data.js`); the file's sha256 must match its pin.
const fs = require('fs');
const path = require('path');
const { FILES, resolveDataDir, verify } = require('./upstream-data');

const root = path.resolve(__dirname, '..');
const entry = FILES.find((e) => e.file === 'istio/crd-all.gen.yaml');
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
console.log(`copy-istio-crds: ${path.relative(root, dest)} (${fs.statSync(dest).size} bytes, sha256 ok)`);
