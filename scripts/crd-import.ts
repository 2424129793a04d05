/**
 * What the L1 generators (scripts/import-istio.ts, scripts/import-gateway-api.ts)
 * share: finding a pinned upstream file, keeping one served API version of
 * each CRD with every `description` removed (no upstream prose in the
 * repository), and running `cdk8s import` on the result, deterministically.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';

export const ROOT = path.resolve(__dirname, '..');

/**
 * The path of `relPath` (relative to the shared data folder): `$<envVar>` when set, else
 * the first of `$CDK8S_MESH_SHARED`, `../shared`, `.upstream/` (scripts/upstream-data.js) that has it.
 */
export function sharedPath(relPath: string, envVar: string): string {
  return process.env[envVar] ?? path.join(
    [process.env.CDK8S_MESH_SHARED, path.join(ROOT, '..', 'shared'), path.join(ROOT, '.upstream')]
      .find((d): d is string => d !== undefined && fs.existsSync(path.join(d, relPath)))
      ?? path.join(ROOT, '..', 'shared'),
    relPath);
}

function stripDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripDescriptions);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (k === 'description' && typeof v === 'string') continue;
      out[k] = stripDescriptions(v);
    }
    return out;
  }
  return node;
}

interface CrdVersion { readonly name: string; readonly served: boolean }
export interface Crd {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly spec: { readonly group: string; readonly names: { readonly kind: string }; readonly versions: CrdVersion[] };
}

/** The CustomResourceDefinitions of a YAML stream (other documents are skipped). */
export function parseCrds(yamlText: string): Crd[] {
  return YAML.parseAllDocuments(yamlText)
    .map((d) => d.toJS() as Crd | null)
    .filter((d): d is Crd => d !== null && d.kind === 'CustomResourceDefinition');
}

/** Each CRD reduced to its served `version` (CRDs without it are dropped), descriptions removed, sorted by name. */
export function keepVersion(crds: readonly Crd[], version: string): Crd[] {
  const kept: Crd[] = [];
  for (const crd of crds) {
    const versions = crd.spec.versions.filter((v) => v.name === version && v.served);
    if (versions.length === 0) continue;
    kept.push(stripDescriptions({
      apiVersion: crd.apiVersion,
      kind: crd.kind,
      metadata: { name: crd.metadata.name },
      spec: { ...crd.spec, versions },
    }) as Crd);
  }
  return kept.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Runs `cdk8s import` on `crds` into a fresh temporary folder; returns the generated files (name → path) and a cleanup. */
export function cdk8sImport(crds: readonly Crd[], label: string): { files: Map<string, string>; cleanup: () => void } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-crds-`));
  const input = path.join(tmp, `${label}.yaml`);
  const out = path.join(tmp, 'out');
  fs.writeFileSync(input, crds.map((d) => YAML.stringify(d)).join('---\n'));
  execFileSync('cdk8s', ['import', input, '--output', out, '--language', 'typescript', '--no-check-upgrade'], {
    stdio: 'inherit',
    env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' },
  });
  const files = new Map(fs.readdirSync(out).sort().map((f) => [f, path.join(out, f)]));
  return { files, cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }) };
}
