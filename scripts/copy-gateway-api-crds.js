// Copies the standard-channel CustomResourceDefinitions of the pinned Gateway API
// release (GATEWAY_API_VERSION of src/control-plane/gateway-api-release.ts) into
// assets/gateway-api/standard/ (gitignored, shipped in the npm tarball), so
// IstioControlPlane({ gatewayApiCrds: true }) can emit them. Runs before compile
// and before tests. Source: gateway-api/<release>/standard/ of the upstream data
// folder that scripts/upstream-data.js resolves ($CDK8S_MESH_SHARED or ../shared);
// every file must match its size and sha256 pin below (byte-for-byte copies of
// kubernetes-sigs/gateway-api config/crd/standard at the release tag). The
// channel's ValidatingAdmissionPolicy (safe upgrades) is not copied: it is not a
// CRD, and admissionregistration.k8s.io/v1 policies need Kubernetes 1.30.
const fs = require('fs');
const path = require('path');
const { resolveDataDir, sha256 } = require('./upstream-data');

const root = path.resolve(__dirname, '..');
const releaseFile = path.join(root, 'src', 'control-plane', 'gateway-api-release.ts');
const match = /export const GATEWAY_API_VERSION = '(v[0-9]+\.[0-9]+\.[0-9]+)';/.exec(fs.readFileSync(releaseFile, 'utf8'));
if (!match) {
  console.error(`copy-gateway-api-crds: no "export const GATEWAY_API_VERSION = 'vX.Y.Z';" line in ${path.relative(root, releaseFile)}`);
  process.exit(1);
}
const release = match[1];

/** Pins per release: file name, bytes, sha256. */
const PINS = {
  'v1.5.1': [
    ['gateway.networking.k8s.io_backendtlspolicies.yaml', 78639, '9b8818172153d72f9c84032db0be0a4a657277d13f5bbc22226ad9481ff57971'],
    ['gateway.networking.k8s.io_gatewayclasses.yaml', 23136, '234ad4b2757ee1b3596a4187bb98df071c5bbdd9e1806f692f2dbf8387e6bef4'],
    ['gateway.networking.k8s.io_gateways.yaml', 187741, '7416e8300eb4d8c0a71a23445609075bbacbe8bc80104584b019cfe1ebe77c31'],
    ['gateway.networking.k8s.io_grpcroutes.yaml', 122273, '979f4125d44d3df24659ba00d1d04ff8e76c45423193e8aae82dd5810d7827df'],
    ['gateway.networking.k8s.io_httproutes.yaml', 431207, '682203b109baecb18d38073a578f7bc2c17d22fe9b0c27bf030850abe014c370'],
    ['gateway.networking.k8s.io_listenersets.yaml', 42709, '9221468d19fdfbb0026113b1ef64abac64f27607975aff2410361b8b38f0e0bb'],
    ['gateway.networking.k8s.io_referencegrants.yaml', 14877, 'a8902c486eed0b7339f5bb8a476ccaba0918eb038048402bdc01cbb69b0fbb51'],
    ['gateway.networking.k8s.io_tlsroutes.yaml', 119912, '818e4827c469a40e2527a2851591e656782c50fea8dd44812c900d219da09345'],
  ],
};
const pins = PINS[release];
if (!pins) {
  console.error(`copy-gateway-api-crds: scripts/copy-gateway-api-crds.js pins no CRD files for Gateway API ${release}`);
  process.exit(1);
}
const shared = resolveDataDir();
const srcDir = shared && path.join(shared, 'gateway-api', release, 'standard');
if (!srcDir || !fs.existsSync(srcDir)) {
  console.error(`copy-gateway-api-crds: no Gateway API ${release} CRDs (gateway-api/${release}/standard/): check out shared/ beside the repository, or set CDK8S_MESH_SHARED`);
  process.exit(1);
}
const destDir = path.join(root, 'assets', 'gateway-api', 'standard');
fs.rmSync(destDir, { recursive: true, force: true });
fs.mkdirSync(destDir, { recursive: true });
let total = 0;
for (const [file, bytes, sum] of pins) {
  const buf = fs.readFileSync(path.join(srcDir, file));
  const actual = sha256(buf);
  if (buf.length !== bytes || actual !== sum) {
    console.error(`copy-gateway-api-crds: ${path.join(srcDir, file)}: ${buf.length} bytes, sha256 ${actual}; expected ${bytes} bytes, sha256 ${sum}`);
    process.exit(1);
  }
  fs.writeFileSync(path.join(destDir, file), buf);
  total += buf.length;
}
console.log(`copy-gateway-api-crds: Gateway API ${release} standard channel -> ${path.relative(root, destDir)} (${pins.length} CRD files, ${total} bytes, sha256 ok)`);
