/**
 * docs/analysis-rules.md, generated from the rule catalog (src/analysis/catalog.ts):
 *
 *   ts-node --project test/tsconfig.json scripts/analysis-rules-doc.ts        # writes the file
 *
 * test/analysis/analysis-rules-doc.test.ts checks that the committed file is what this renders.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RULE_CATALOG, TREE_RULE_CATALOG } from '../src/analysis/catalog';
import { RuleDoc } from '../src/analysis/rule';

export const RULES_DOC = path.join(__dirname, '..', 'docs', 'analysis-rules.md');

const AREAS = ['MESH', 'TRAFFIC', 'SEC', 'GW', 'OBS', 'CP', 'ROLLOUT', 'GITOPS', 'AMB', 'GWAPI'];

function area(code: string): string {
  return /^[A-Z]+/.exec(code)![0];
}

function byCode(a: RuleDoc, b: RuleDoc): number {
  return AREAS.indexOf(area(a.code)) - AREAS.indexOf(area(b.code)) || a.code.localeCompare(b.code);
}

function table(rules: readonly RuleDoc[]): string[] {
  return [
    '| Code | Severity | Reported on | What it catches | Fix |',
    '|---|---|---|---|---|',
    ...[...rules].sort(byCode).map((r) => `| ${r.code} | ${r.severity} | ${r.reportedOn} | ${r.summary} | ${r.fix} |`),
  ];
}

const INTRO = `# Rule catalog

<!-- Generated from src/analysis/catalog.ts by scripts/analysis-rules-doc.ts: edit the rules there. -->

cdk8s-mesh knows the whole service graph of an app at synth time: services and
their versions, call edges (\`dependsOn\`, \`allowFrom\`), routes and releases,
gateways, external services, mTLS and authorization policies. The rules below
run offline over the resolved snapshot of that model, before anything is
written, and catch what \`istioctl analyze\` would only find on a live cluster
(or what nothing finds until traffic fails).

- **Errors** fail \`cdk8s synth\`: every finding is printed as
  \`[construct/path] CODE: 'prop' <rule>, got <value>. Fix: <fix>\` and nothing is
  written (\`MeshApp\` synthesizes into a staging folder and swaps it in only on
  success, so the previous output stays byte for byte as it was).
- **Warnings** are printed by \`MeshApp\` (\`[path] warning CODE: ...\` on stderr)
  and listed by \`MeshAnalysis.of(app).findings()\`. Turn them into errors with
  \`MeshAnalysis.of(app).treatWarningsAsErrors()\` (all) or
  \`treatWarningsAsErrors('MESH004')\` (some codes).
- A fatal finding is always reported on the construct whose input caused it.
  Should a finding name a path that no construct validates, the app root
  reports it as \`[] [path] CODE: ...\` rather than losing it.

Codes are \`<AREA><NNN>\` and stable: a code is never reused for another rule.
`;

/** The page, from the catalog. */
export function analysisRulesDoc(): string {
  const rules: RuleDoc[] = [...RULE_CATALOG, ...TREE_RULE_CATALOG];
  const inArea = (...areas: string[]) => rules.filter((r) => areas.includes(area(r.code)));
  return [
    INTRO,
    '## Rules',
    '',
    ...table(inArea('MESH', 'TRAFFIC', 'SEC', 'GW', 'OBS', 'CP', 'ROLLOUT', 'GITOPS')),
    '',
    '### Ambient data plane',
    '',
    ...table(inArea('AMB')),
    '',
    '### Gateway API rendering',
    '',
    'Reported only for services and ingress gateways rendered with `RoutingApi.GATEWAY_API`',
    '([Routing with the Gateway API](guides/gateway-api.md)); each is an error on the construct that declared the',
    'intent.',
    '',
    ...table(inArea('GWAPI')),
    '',
    OUTRO,
  ].join('\n');
}

const OUTRO = fs.readFileSync(path.join(__dirname, 'analysis-rules-doc.md'), 'utf8');

if (require.main === module) {
  fs.writeFileSync(RULES_DOC, analysisRulesDoc());
  console.log(`wrote ${path.relative(process.cwd(), RULES_DOC)} (${RULE_CATALOG.length + TREE_RULE_CATALOG.length} rules)`);
}
