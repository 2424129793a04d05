import * as fs from 'fs';
import * as path from 'path';

/**
 * docs/analysis-rules.md must list exactly the rule codes the library
 * registers (found in the sources), and every code must have a test that
 * asserts it, so the page never rots.
 */
const ROOT = path.join(__dirname, '..', '..');
const CODE = /'((?:TRAFFIC|SEC|MESH-GW|MESH|OBS|CP|ROLLOUT|AMB)\d{3})'/g;

function filesUnder(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'imports' || e.name === '__snapshots__' ? [] : filesUnder(p, ext);
    return p.endsWith(ext) ? [p] : [];
  });
}

function codesIn(files: string[]): Set<string> {
  const out = new Set<string>();
  for (const f of files) for (const m of fs.readFileSync(f, 'utf8').matchAll(CODE)) out.add(m[1]);
  return out;
}

describe('docs/analysis-rules.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'analysis-rules.md'), 'utf8');
  const rows = [...doc.matchAll(/^\| ((?:TRAFFIC|SEC|MESH-GW|MESH|OBS|CP|ROLLOUT|AMB)\d{3}) \| (error|warning) \|/gm)].map((m) => ({ code: m[1], severity: m[2] }));
  const sourceCodes = codesIn(filesUnder(path.join(ROOT, 'src'), '.ts'));

  test('lists exactly the codes registered in src/, once each', () => {
    expect(sourceCodes.size).toBeGreaterThan(15);
    expect(rows.map((r) => r.code).sort()).toEqual([...sourceCodes].sort());
  });

  test('every rule code is asserted by a test', () => {
    const testFiles = filesUnder(path.join(ROOT, 'test'), '.test.ts').filter((f) => !f.endsWith('analysis-rules-doc.test.ts'));
    const tested = new Set<string>();
    for (const f of testFiles) {
      const text = fs.readFileSync(f, 'utf8');
      for (const code of sourceCodes) if (new RegExp(`\\b${code}\\b`).test(text)) tested.add(code);
    }
    expect([...sourceCodes].filter((c) => !tested.has(c)).sort()).toEqual([]);
  });

  test('the documented warnings are the rules that report warnings', () => {
    const warningSources = filesUnder(path.join(ROOT, 'src'), '.ts').filter((f) => /severity: 'warning'|, 'warning', /.test(fs.readFileSync(f, 'utf8')));
    const documentedWarnings = rows.filter((r) => r.severity === 'warning').map((r) => r.code).sort();
    expect(documentedWarnings).toEqual(['MESH003', 'MESH004', 'MESH008', 'MESH009', 'SEC005', 'SEC006', 'SEC007', 'TRAFFIC006']);
    expect(warningSources.map((f) => path.relative(ROOT, f))).toEqual(['src/analysis/rules/mesh-rules.ts', 'src/analysis/rules/risk-rules.ts']);
  });
});
