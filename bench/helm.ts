/**
 * Helm for the benchmark's baseline: Helm 4 built here from its Go module
 * (helm.sh/helm/v4, through the Go module proxy) and cached in
 * .cdk8s-mesh-bench/bin/; `helm template` timed on bench/helm/chart.
 *
 *   ts-node bench/helm.ts    builds (or finds) the binary and prints its path
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const HELM_VERSION = 'v4.3.2';
const ROOT = path.join(__dirname, '..');
const BIN_DIR = path.join(ROOT, '.cdk8s-mesh-bench', 'bin');
export const HELM_CHART = path.join(__dirname, 'helm', 'chart');

/**
 * The path of a Helm binary at HELM_VERSION, built with `go install` if the
 * cache has none (the Go module and build caches make a rebuild cheap); or why
 * there is none.
 */
export function ensureHelm(): { readonly helm: string } | { readonly skipped: string } {
  const helm = path.join(BIN_DIR, `helm-${HELM_VERSION}`);
  if (!fs.existsSync(helm)) {
    const gobin = fs.mkdtempSync(path.join(ROOT, '.cdk8s-mesh-bench', 'gobin-'));
    try {
      execFileSync('go', [
        'install', '-trimpath',
        '-ldflags', `-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`,
        `helm.sh/helm/v4/cmd/helm@${HELM_VERSION}`,
      ], { env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' }, stdio: ['ignore', 'inherit', 'inherit'] });
      fs.mkdirSync(BIN_DIR, { recursive: true });
      fs.renameSync(path.join(gobin, 'helm'), helm);
    } catch (e) {
      return { skipped: `Helm ${HELM_VERSION} could not be built with 'go install' (${(e as Error).message.split('\n')[0]})` };
    } finally {
      fs.rmSync(gobin, { recursive: true, force: true });
    }
  }
  const version = execFileSync(helm, ['version', '--short'], { encoding: 'utf8' }).trim();
  if (!version.startsWith(HELM_VERSION)) return { skipped: `${helm} reports version ${version}, not ${HELM_VERSION}` };
  return { helm };
}

/** One `helm template` run: its output file, wall and CPU seconds, and peak RSS. */
export interface HelmRun {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMb: number;
  readonly bytes: number;
}

/** Renders the chart with `values` (a file) into `out`, timed by /usr/bin/time. */
export function helmTemplate(helm: string, values: string, out: string): HelmRun {
  const fd = fs.openSync(out, 'w');
  let res;
  try {
    res = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', helm, 'template', 'mesh', HELM_CHART, '-f', values],
      { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } finally {
    fs.closeSync(fd);
  }
  if (res.status !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(res.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${res.stderr}`);
  return {
    wallMs: Number(m[1]) * 1000,
    cpuMs: (Number(m[2]) + Number(m[3])) * 1000,
    peakRssMb: Number(m[4]) / 1024,
    bytes: fs.statSync(out).size,
  };
}

if (require.main === module) {
  const r = ensureHelm();
  if ('skipped' in r) {
    console.error(r.skipped);
    process.exit(1);
  }
  console.log(r.helm);
}
