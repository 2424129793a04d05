/**
 * scripts/upstream-data.js: the download path (against a local HTTP server that
 * serves the pinned files at their upstream URLs: the real host is unreachable
 * from this project's machines), the sha256 check, and where the build reads
 * the data from.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { SHARED_DIR } from '../util';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const upstream = require('../../scripts/upstream-data');

interface Pin { file: string; commit: string; upstream: string; bytes: number; sha256: string }
const FILES: Pin[] = upstream.FILES;
const ROOT = path.join(__dirname, '..', '..');

/** Serves `/istio/istio/<commit>/<path>` from the shared data folder; `tamper` changes one file's bytes. */
async function withServer(tamper: string | undefined, fn: (baseUrl: string, requests: string[]) => Promise<void>) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url!);
    const pin = FILES.find((e) => req.url === `/istio/istio/${e.commit}/${e.upstream}`);
    if (!pin) {
      res.writeHead(404).end();
      return;
    }
    let body = fs.readFileSync(path.join(SHARED_DIR, pin.file));
    if (pin.file === tamper) body = Buffer.concat([body.subarray(0, body.length - 1), Buffer.from('!')]);
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const made: string[] = [];
function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upstream-data-'));
  made.push(dir);
  return dir;
}
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
const quiet = () => undefined;

// serving and hashing the pinned files (megabytes) over a local HTTP server takes seconds on a busy machine
jest.setTimeout(60_000);

describe('scripts/upstream-data.js', () => {
  test('pins every file by upstream commit, path, size and full sha256, and the shared copies match', () => {
    expect(FILES.map((e) => e.file)).toEqual([
      'istio/1.30.3/crd-all.gen.yaml',
      'istio/1.30.3/injection-template.yaml',
      'istio/1.30.3/gateway-injection-template.yaml',
      'istio/1.30.3/waypoint.yaml',
      'istio/1.30.3/kube-gateway.yaml',
      'istio/1.30.3/istio-discovery-values.yaml',
      'istio/1.30.3/LICENSE',
    ]);
    for (const e of FILES) {
      expect(e.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(() => upstream.verify(SHARED_DIR)).not.toThrow();
  });

  test('downloads each pinned file from its upstream URL and writes it when size and sha256 match', async () => {
    const dest = tmp();
    await withServer(undefined, async (baseUrl, requests) => {
      await upstream.download(dest, baseUrl, quiet);
      expect(requests).toEqual(FILES.map((e) => `/istio/istio/${e.commit}/${e.upstream}`));
    });
    expect(() => upstream.verify(dest)).not.toThrow();
    for (const e of FILES) expect(fs.statSync(path.join(dest, e.file)).size).toBe(e.bytes);
  });

  test('rejects a download whose bytes differ from the pin, naming the URL and both hashes; the file is not written', async () => {
    const dest = tmp();
    const bad = FILES[2];
    await withServer(bad.file, async (baseUrl) => {
      await expect(upstream.download(dest, baseUrl, quiet)).rejects.toThrow(
        new RegExp(`download of ${baseUrl}/istio/istio/${bad.commit}/${bad.upstream} rejected: sha256 [0-9a-f]{64}, expected ${bad.sha256}; nothing written for ${bad.file}`),
      );
    });
    expect(fs.existsSync(path.join(dest, bad.file))).toBe(false);
  });

  test('reports an HTTP error with the URL', async () => {
    await withServer(undefined, async (baseUrl) => {
      await expect(upstream.download(tmp(), `${baseUrl}/nowhere`, quiet)).rejects.toThrow(`download of ${baseUrl}/nowhere/istio/istio/${FILES[0].commit}/${FILES[0].upstream} failed: HTTP 404`);
    });
  });

  test('$CDK8S_MESH_SHARED comes first; a folder with a changed file fails verification naming file and hashes', () => {
    const dir = tmp();
    for (const e of FILES) {
      fs.mkdirSync(path.dirname(path.join(dir, e.file)), { recursive: true });
      fs.copyFileSync(path.join(SHARED_DIR, e.file), path.join(dir, e.file));
    }
    expect(upstream.resolveDataDir({ CDK8S_MESH_SHARED: dir })).toBe(dir);
    fs.appendFileSync(path.join(dir, 'istio/1.30.3/crd-all.gen.yaml'), '\n');
    expect(() => upstream.verify(dir)).toThrow(/istio\/1\.30\.3\/crd-all\.gen\.yaml: 871395 bytes, expected 871394; sha256 [0-9a-f]{64}, expected dcb43ff6b9af2f62/);
  });

  test('copy-istio-crds refuses a CRD file that differs from its pin and writes nothing', () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'istio', '1.30.3'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'istio', '1.30.3', 'crd-all.gen.yaml'), 'kind: CustomResourceDefinition\n');
    const before = fs.statSync(path.join(ROOT, 'assets', 'istio', 'crd-all.gen.yaml')).mtimeMs;
    let stderr = '';
    try {
      execFileSync('node', [path.join(ROOT, 'scripts', 'copy-istio-crds.js')], { env: { ...process.env, CDK8S_MESH_SHARED: dir }, stdio: 'pipe' });
    } catch (err: any) {
      stderr = err.stderr.toString();
    }
    expect(stderr).toMatch(/copy-istio-crds: upstream data in .* does not match the pins .*\n.*crd-all\.gen\.yaml: 31 bytes, expected 871394/);
    expect(fs.statSync(path.join(ROOT, 'assets', 'istio', 'crd-all.gen.yaml')).mtimeMs).toBe(before);
  });
});
