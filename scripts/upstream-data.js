#!/usr/bin/env node
// Provides the pinned upstream Istio files the build and the tests read (the
// CRD file IstioControlPlane ships, and the Istio 1.30.3 CRDs and injection
// templates), for a clone that has no `shared/` folder beside it.
//
//   node scripts/upstream-data.js            # ../shared if present, else download into .upstream/
//   node scripts/upstream-data.js --check    # verify only, never download (exit 1 if anything is missing)
//
// Every file is pinned by upstream commit, path, size and full sha256; a file
// whose bytes differ is rejected, whether it came from ../shared or a download.
// Where the data lives (first that applies):
//   1. $CDK8S_MESH_SHARED (a folder laid out like shared/: istio/1.30.3/...)
//   2. ../shared beside the clone, when it holds the files
//   3. .upstream/ in the clone (gitignored), filled by this script from the Istio repository
// Downloads come from $CDK8S_MESH_UPSTREAM_URL (default https://raw.githubusercontent.com),
// as <base>/istio/istio/<commit>/<path>.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

/** The Istio 1.30.3 release tag, whose images IstioControlPlane installs by default. */
const RELEASE_COMMIT = '56df41f63e513f834c9a3af33d8aed82d1d961f2';
const DISCOVERY = 'manifests/charts/istio-control/istio-discovery';

/** The pinned files: where they go (relative to the data folder) and where they come from. */
const FILES = [
  { file: 'istio/1.30.3/crd-all.gen.yaml', commit: RELEASE_COMMIT, upstream: 'manifests/charts/base/files/crd-all.gen.yaml', bytes: 871394, sha256: 'dcb43ff6b9af2f629b80b6a82597f5a91db259c757e66cc5353ac007da28351a' },
  { file: 'istio/1.30.3/injection-template.yaml', commit: RELEASE_COMMIT, upstream: `${DISCOVERY}/files/injection-template.yaml`, bytes: 24545, sha256: '3c0fedcfea11beb467613914306c1dc11fad57ceabb3b96390064368f5a77404' },
  { file: 'istio/1.30.3/gateway-injection-template.yaml', commit: RELEASE_COMMIT, upstream: `${DISCOVERY}/files/gateway-injection-template.yaml`, bytes: 10174, sha256: '79417fa7747079495dbc56e48cc01faff2b4c72476eaefd3fdabc9b7fad18d2b' },
  { file: 'istio/1.30.3/waypoint.yaml', commit: RELEASE_COMMIT, upstream: `${DISCOVERY}/files/waypoint.yaml`, bytes: 14297, sha256: '0a503988c129fc1889f84f4b89665970ad2d955b761d3c3ea2a305ca44f47d6b' },
  { file: 'istio/1.30.3/kube-gateway.yaml', commit: RELEASE_COMMIT, upstream: `${DISCOVERY}/files/kube-gateway.yaml`, bytes: 14645, sha256: '4ba36d11165200e89ba3a729f8edbc81d4f4c4d40837d94dc87a0bbec1836c58' },
  { file: 'istio/1.30.3/istio-discovery-values.yaml', commit: RELEASE_COMMIT, upstream: `${DISCOVERY}/values.yaml`, bytes: 24442, sha256: 'd6b9d64100f695973a1b87a2cedfce597669807d77fd14d00149d56538dd43a1' },
  { file: 'istio/1.30.3/LICENSE', commit: RELEASE_COMMIT, upstream: 'LICENSE', bytes: 11357, sha256: '9fa6e54dafda853bb3cdc01486b677a55102f0d488282a85ba6e426d9125f8c5' },
];

function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

/** Problems with `buf` as the pinned `entry` (empty when it matches). */
function mismatch(entry, buf) {
  const problems = [];
  if (buf.length !== entry.bytes) problems.push(`${buf.length} bytes, expected ${entry.bytes}`);
  const actual = sha256(buf);
  if (actual !== entry.sha256) problems.push(`sha256 ${actual}, expected ${entry.sha256}`);
  return problems;
}

/** True when `dir` holds every pinned file (presence only; `verify` checks the bytes). */
function complete(dir) {
  return FILES.every((e) => fs.existsSync(path.join(dir, e.file)));
}

/** The data folder to read from (see the header), or undefined when none is complete. */
function resolveDataDir(env = process.env) {
  if (env.CDK8S_MESH_SHARED) return path.resolve(env.CDK8S_MESH_SHARED);
  for (const dir of [path.resolve(ROOT, '..', 'shared'), path.join(ROOT, '.upstream')]) {
    if (complete(dir)) return dir;
  }
  return undefined;
}

/** Throws when a pinned file in `dir` is missing or differs from its pin. */
function verify(dir, entries = FILES) {
  const errors = [];
  for (const e of entries) {
    const p = path.join(dir, e.file);
    if (!fs.existsSync(p)) {
      errors.push(`${p}: missing`);
      continue;
    }
    const problems = mismatch(e, fs.readFileSync(p));
    if (problems.length) errors.push(`${p}: ${problems.join('; ')} (upstream istio/istio@${e.commit.slice(0, 12)}:${e.upstream})`);
  }
  if (errors.length) {
    throw new Error(`upstream data in ${dir} does not match the pins in scripts/upstream-data.js:\n  ${errors.join('\n  ')}`);
  }
}

/** Downloads every pinned file into `dir`, checking size and sha256 before writing it. */
async function download(dir, baseUrl = process.env.CDK8S_MESH_UPSTREAM_URL ?? 'https://raw.githubusercontent.com', log = console.log) {
  for (const e of FILES) {
    const url = `${baseUrl.replace(/\/$/, '')}/istio/istio/${e.commit}/${e.upstream}`;
    let res;
    try {
      res = await fetch(url);
    } catch (err) {
      throw new Error(`download of ${url} failed: ${err.cause?.message ?? err.message}`);
    }
    if (!res.ok) throw new Error(`download of ${url} failed: HTTP ${res.status}`);
    const buf = Buffer.from(await res.arrayBuffer());
    const problems = mismatch(e, buf);
    if (problems.length) throw new Error(`download of ${url} rejected: ${problems.join('; ')}; nothing written for ${e.file}`);
    const dest = path.join(dir, e.file);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, buf);
    log(`upstream-data: ${path.relative(process.cwd(), dest) || dest} (${buf.length} bytes, sha256 ok)`);
  }
}

async function main(argv) {
  const checkOnly = argv.includes('--check');
  const dir = resolveDataDir();
  if (dir) {
    verify(dir);
    console.log(`upstream-data: ${FILES.length} pinned files verified in ${dir}`);
    return;
  }
  const dest = path.join(ROOT, '.upstream');
  if (checkOnly) {
    throw new Error('no upstream data: neither $CDK8S_MESH_SHARED, ../shared nor .upstream/ holds the pinned files; run `node scripts/upstream-data.js` to download them');
  }
  console.log(`upstream-data: no ../shared beside the clone; downloading ${FILES.length} pinned files into ${dest}`);
  await download(dest);
  verify(dest);
}

module.exports = { FILES, resolveDataDir, verify, download, sha256 };

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`upstream-data: ${err.message}`);
    process.exit(1);
  });
}
