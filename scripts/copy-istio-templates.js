// Copies the injection templates of the pinned Istio release (1.30.3) into
// assets/istio/injection/ (gitignored, shipped in the npm tarball), where
// IstioControlPlane reads them at synth to fill the istio-sidecar-injector
// ConfigMap. Runs before compile and before tests. Source:
// istio/1.30.3/ of the upstream data folder that scripts/upstream-data.js
// resolves ($CDK8S_MESH_SHARED, ../shared, or .upstream/), each file checked
// against its sha256 pin. The files are copied unchanged; nothing here edits them.
const fs = require('fs');
const path = require('path');
const { FILES, resolveDataDir, verify } = require('./upstream-data');

const ISTIO_RELEASE = '1.30.3';
// upstream file name -> template name in the ConfigMap's `templates`
const TEMPLATES = {
  'injection-template.yaml': 'sidecar',
  'gateway-injection-template.yaml': 'gateway',
  'waypoint.yaml': 'waypoint',
  'kube-gateway.yaml': 'kube-gateway',
};

const root = path.resolve(__dirname, '..');
const shared = resolveDataDir();
if (!shared) {
  console.error('copy-istio-templates: no upstream Istio data: run `node scripts/upstream-data.js`, '
    + 'or check out shared/ beside the repository, or set CDK8S_MESH_SHARED');
  process.exit(1);
}
try {
  verify(shared, FILES.filter((e) => Object.keys(TEMPLATES).some((f) => e.file === `istio/${ISTIO_RELEASE}/${f}`)));
} catch (err) {
  console.error(`copy-istio-templates: ${err.message}`);
  process.exit(1);
}
const srcDir = path.join(shared, 'istio', ISTIO_RELEASE);
const destDir = path.join(root, 'assets', 'istio', 'injection');

fs.mkdirSync(destDir, { recursive: true });
for (const [file, name] of Object.entries(TEMPLATES)) {
  const src = path.join(srcDir, file);
  if (!fs.existsSync(src)) {
    console.error(`copy-istio-templates: ${src} not found (check out shared/ beside the repository or set CDK8S_MESH_SHARED)`);
    process.exit(1);
  }
  const dest = path.join(destDir, `${name}.yaml`);
  fs.copyFileSync(src, dest);
  console.log(`copy-istio-templates: ${path.relative(root, dest)} (${fs.statSync(dest).size} bytes, Istio ${ISTIO_RELEASE} ${file})`);
}
