// Copies the injection templates of the pinned Istio release (1.30.3) into
// assets/istio/injection/ (gitignored, shipped in the npm tarball), where
// IstioControlPlane reads them at synth to fill the istio-sidecar-injector
// ConfigMap. Runs before compile and before tests. Source:
// ../shared/istio/1.30.3 (or $CDK8S_MESH_SHARED/istio/1.30.3). The files are
// copied unchanged; nothing here edits them.
const fs = require('fs');
const path = require('path');

const ISTIO_RELEASE = '1.30.3';
// upstream file name -> template name in the ConfigMap's `templates`
const TEMPLATES = {
  'injection-template.yaml': 'sidecar',
  'gateway-injection-template.yaml': 'gateway',
  'waypoint.yaml': 'waypoint',
  'kube-gateway.yaml': 'kube-gateway',
};

const root = path.resolve(__dirname, '..');
const shared = process.env.CDK8S_MESH_SHARED ?? path.resolve(root, '..', 'shared');
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
