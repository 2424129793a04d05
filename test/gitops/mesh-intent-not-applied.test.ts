import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart } from 'cdk8s';
import * as YAML from 'yaml';
import { ArgoCdApplication, GitOps, MeshApp, MeshService } from '../../src';

/**
 * MeshApp writes the mesh intent (`mesh-intent.jsonc`) beside the manifests. It is no
 * Kubernetes object: whatever applies the output folder must skip it. Argo CD's directory
 * source reads the files of `path` whose names match `^.*\.(yaml|yml|json|jsonnet)$` and then
 * its `directory.include` glob; `kubectl apply -f <dir>` reads `.json`, `.yaml` and `.yml`.
 */
const ARGO_MANIFEST_FILE = /^.*\.(yaml|yml|json|jsonnet)$/;
const KUBECTL_EXTENSIONS = ['.json', '.yaml', '.yml'];

/** Argo CD's include glob (`*`, `?`, `{a,b}`) as a regular expression. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')
    .replace(/\{([^}]*)\}/g, (_m, alts: string) => `(${alts.split(',').join('|')})`);
  return new RegExp(`^${body}$`);
}

function synthesize(): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-intent-'));
  const app = new MeshApp({ outdir });
  const shop = new Chart(app, 'shop', { namespace: 'shop' });
  new MeshService(shop, 'users', { versions: [{ name: 'v1', image: 'reg.example/users:1' }] });
  // an Application of the user's own over the whole folder (no include)
  new ArgoCdApplication(new Chart(app, 'extra'), 'everything', { repoUrl: 'https://git.example/deploy.git', path: 'dist' });
  GitOps.argoCd(app, { repoUrl: 'https://git.example/deploy.git', path: 'dist' });
  app.synth();
  return outdir;
}

describe('the mesh intent beside the manifests', () => {
  const outdir = synthesize();
  const files = fs.readdirSync(outdir).sort();
  const applications = fs.readdirSync(outdir).filter((f) => f.endsWith('.k8s.yaml'))
    .flatMap((f) => YAML.parseAllDocuments(fs.readFileSync(path.join(outdir, f), 'utf8')).map((d) => d.toJS()))
    .filter((o: any) => o.kind === 'Application');

  test('is written', () => {
    expect(files).toContain('mesh-intent.jsonc');
  });

  test('no Argo CD Application reads it, each generated one reads its chart file', () => {
    expect(applications.length).toBeGreaterThanOrEqual(3);
    for (const a of applications) {
      const include: string | undefined = a.spec.source.directory?.include;
      const read = files.filter((f) => ARGO_MANIFEST_FILE.test(f) && (include === undefined || globRegExp(include).test(f)));
      expect(read).not.toContain('mesh-intent.jsonc');
      if (include !== undefined) expect(read).toEqual([include]);
    }
  });

  test('kubectl apply -f <dir> does not read it', () => {
    expect(KUBECTL_EXTENSIONS).not.toContain(path.extname('mesh-intent.jsonc'));
    expect(files.filter((f) => KUBECTL_EXTENSIONS.includes(path.extname(f)))).not.toContain('mesh-intent.jsonc');
  });
});
