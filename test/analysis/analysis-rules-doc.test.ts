import * as fs from 'fs';
import * as path from 'path';
import { analysisRulesDoc, RULES_DOC } from '../../scripts/analysis-rules-doc';
import { RULE_CATALOG, TREE_RULE_CATALOG } from '../../src/analysis/catalog';

/**
 * docs/analysis-rules.md is generated from the rule catalog (run
 * `npx projen docs:rules` after changing a rule), and every rule code has a
 * test that asserts it, so the page never rots.
 */
const ROOT = path.join(__dirname, '..', '..');

function filesUnder(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === '__snapshots__' ? [] : filesUnder(p, ext);
    return p.endsWith(ext) ? [p] : [];
  });
}

describe('docs/analysis-rules.md', () => {
  const codes = [...RULE_CATALOG, ...TREE_RULE_CATALOG].map((r) => r.code);

  test('is what the catalog generates', () => {
    expect(fs.readFileSync(RULES_DOC, 'utf8')).toBe(analysisRulesDoc());
  });

  test('lists every rule once, with codes of the one naming scheme', () => {
    expect(codes.length).toBeGreaterThan(40);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^(MESH|TRAFFIC|SEC|GW|GWAPI|OBS|CP|ROLLOUT|GITOPS|AMB)\d{3}$/);
    const rows = [...fs.readFileSync(RULES_DOC, 'utf8').matchAll(/^\| ([A-Z]+\d{3}) \| (error|warning) \|/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual([...codes].sort());
  });

  test('every rule code is asserted by a test', () => {
    const testFiles = filesUnder(path.join(ROOT, 'test'), '.test.ts').filter((f) => !f.endsWith('analysis-rules-doc.test.ts'));
    const text = testFiles.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    expect(codes.filter((c) => !new RegExp(`\\b${c}\\b`).test(text)).sort()).toEqual([]);
  });
});
