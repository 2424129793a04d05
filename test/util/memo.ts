import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * A content-addressed cache on disk for pure, costly steps of the test harness
 * (parsing the same YAML again, validating an object identical to one already
 * found valid), shared by every test file and jest worker of a run and by later
 * runs. Jest gives each test file a fresh module registry, so an in-memory cache
 * would start empty in each of them; the Istio and Gateway API CRDs alone (about
 * 2 MB of YAML) are emitted, parsed and validated in most test files.
 *
 * Entries are keyed by the input's sha256 and by a fingerprint of everything that
 * decides the result: the harness sources (test/util), the installed packages
 * (package-lock.json) and the CRD files the schemas come from. Only results that
 * cannot hide a failure are stored: parsed documents, and "this exact object is
 * valid" (an invalid object is validated again every time).
 */
const ROOT = path.resolve(__dirname, '..', '..');
let dir: string | undefined;

/** The cache folder of this fingerprint (computed on first use: the schema modules import this one). */
function cacheDir(): string {
  if (!dir) dir = path.join(os.tmpdir(), 'cdk8s-mesh-test-memo', fingerprint());
  return dir;
}

function fingerprint(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ISTIO_CRD_FILE } = require('./istio-schema');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { GATEWAY_API_CRD_DIR } = require('./gateway-api-schema');
  const hash = crypto.createHash('sha256');
  const add = (file: string) => {
    if (!fs.existsSync(file)) return;
    hash.update(file).update('\0').update(fs.readFileSync(file)).update('\0');
  };
  for (const f of fs.readdirSync(__dirname).sort()) add(path.join(__dirname, f));
  add(path.join(ROOT, 'package-lock.json'));
  add(ISTIO_CRD_FILE);
  if (fs.existsSync(GATEWAY_API_CRD_DIR)) for (const f of fs.readdirSync(GATEWAY_API_CRD_DIR).sort()) add(path.join(GATEWAY_API_CRD_DIR, f));
  return hash.digest('hex').slice(0, 24);
}

function fileOf(namespace: string, input: string): string {
  const key = crypto.createHash('sha256').update(namespace).update('\0').update(input).digest('hex');
  return path.join(cacheDir(), namespace, `${key}.json`);
}

function write(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file); // atomic: concurrent workers never read a partial entry
}

/** `compute()`, or the value it returned for the same input before (JSON-serializable values only). */
export function memoized<T>(namespace: string, input: string, compute: (input: string) => T): T {
  const file = fileOf(namespace, input);
  let json: string;
  try {
    json = fs.readFileSync(file, 'utf8');
  } catch {
    json = JSON.stringify(compute(input));
    write(file, json);
  }
  // the same JSON round trip on a hit and a miss, so both return equal values
  return JSON.parse(json);
}

/** True if `input` was recorded with `remember()` in this namespace. */
export function remembered(namespace: string, input: string): boolean {
  return fs.existsSync(fileOf(namespace, input));
}

/** Records `input` in the namespace. */
export function remember(namespace: string, input: string): void {
  write(fileOf(namespace, input), '1');
}
