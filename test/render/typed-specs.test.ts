import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

/**
 * The renderers return the generated L1 spec interfaces, whose `toJson_*`
 * drops unknown keys at synth: a misspelled field would vanish from the
 * output without an error. Typed, it does not compile. This test compiles a
 * few renderer-style object literals against the real L1 interfaces and the
 * renderers' `compact()` helper and expects the compiler to name each
 * misspelling (and to accept the correct spelling).
 */

const ROOT = path.resolve(__dirname, '..', '..');
const imports = (rel: string) => JSON.stringify(path.join(ROOT, rel).replace(/\.ts$/, ''));

function diagnostics(source: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'typed-specs-'));
  const file = path.join(dir, 'probe.ts');
  fs.writeFileSync(file, source);
  try {
    const options: ts.CompilerOptions = {
      strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true,
    };
    const program = ts.createProgram([file], options);
    return ts.getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName === file)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const HEADER = `
import { DestinationRuleSpec, DestinationRuleSpecTrafficPolicy, GatewaySpec, VirtualServiceSpecHttp } from ${imports('src/imports/networking.istio.io.ts')};
import { compact } from ${imports('src/render/common.ts')};
`;

describe('renderer output is typed against the L1 spec interfaces', () => {
  test('misspelled fields are compile errors; the right spelling compiles', () => {
    const wrong = diagnostics(`${HEADER}
export const a: VirtualServiceSpecHttp = { route: [{ destination: { host: 'h', subsett: 'v1' } }] };
export const b = compact<DestinationRuleSpecTrafficPolicy>({ outlierDetection: { consecutive5xxErrors: 5 } });
export const c: GatewaySpec = { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], tls: { httpRedirect: true } }] };
export const d: DestinationRuleSpec = { host: 'h', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } };
`);
    expect(wrong).toHaveLength(4);
    expect(wrong[0]).toMatch(/'subsett' does not exist/);
    expect(wrong[1]).toMatch(/'consecutive5xxErrors' does not exist/);
    expect(wrong[2]).toMatch(/'httpRedirect' does not exist/);
    // a closed set is the L1 enum, not a free string
    expect(wrong[3]).toMatch(/not assignable to type 'DestinationRuleSpecTrafficPolicyTlsMode/);

    expect(diagnostics(`${HEADER}
import { DestinationRuleSpecTrafficPolicyTlsMode } from ${imports('src/imports/networking.istio.io.ts')};
export const a: VirtualServiceSpecHttp = { route: [{ destination: { host: 'h', subset: 'v1' } }] };
export const b = compact<DestinationRuleSpecTrafficPolicy>({ outlierDetection: { consecutive5XxErrors: 5 } });
export const c: GatewaySpec = { servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'], tls: { httpsRedirect: true } }] };
export const d: DestinationRuleSpec = { host: 'h', trafficPolicy: { tls: { mode: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL } } };
`)).toEqual([]);
  }, 60_000);
});
