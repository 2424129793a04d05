import { Diagnostic, MeshModel } from '../../model';
import { propMessage } from '../../private/errors';

/**
 * Something the model declares that the Gateway API (standard channel
 * v1.5.1) cannot express. The renderers never drop such intent: they report
 * it, and the constructs turn the reports into synth-time errors on the
 * construct that declared it (`GatewayApiRule` codes).
 */
export interface GatewayApiProblem {
  /** Rule code (`GatewayApiRule`). */
  readonly code: string;
  /** Construct path the problem is reported on. */
  readonly path: string;
  readonly prop: string;
  readonly rule: string;
  readonly value: unknown;
  readonly fix: string;
}

/** Rule codes of the Gateway API rendering. */
export const GatewayApiRule = {
  /** A route or release feature with no standard-channel Gateway API equivalent. */
  NOT_EXPRESSIBLE: 'GWAPI001',
  /** The Gateway API's route precedence would evaluate the routes in another order than declared. */
  ORDER_CHANGES: 'GWAPI002',
  /** Argo Rollouts' traffic router for the Gateway API is a plugin cdk8s-mesh does not configure. */
  ROLLOUTS_PLUGIN: 'GWAPI003',
  /** A name the Gateway API rendering derives is not a valid Kubernetes name. */
  NAME: 'GWAPI004',
  /** A gateway server the Gateway API listener model cannot carry. */
  LISTENER: 'GWAPI005',
} as const;

/** Collects problems while rendering. */
export class ProblemList {
  public readonly items: GatewayApiProblem[] = [];

  public add(code: string, path: string, prop: string, rule: string, value: unknown, fix: string): void {
    this.items.push({ code, path, prop, rule, value, fix });
  }

  /** The problems as mesh diagnostics (errors). */
  public diagnostics(): Diagnostic[] {
    return this.items.map((p) => ({ code: p.code, severity: 'error', path: p.path, message: propMessage(p.prop, p.rule, p.value, p.fix) }));
  }
}

/** Thrown by a construct's lazy spec when rendering is reached despite problems (validation reports them first). */
export function assertNoProblems(problems: ProblemList): void {
  if (problems.items.length === 0) return;
  const p = problems.items[0];
  throw new Error(`[${p.path}] ${p.code}: ${propMessage(p.prop, p.rule, p.value, p.fix)}`);
}

/** A Gateway API `Duration` (`1h2m3s4ms` form, at most 5 digits per unit) of whole milliseconds. */
export function gatewayApiDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms);
  const units: [string, number][] = [['h', 3600000], ['m', 60000], ['s', 1000], ['ms', 1]];
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.length ? parts.join('') : '0s';
}

/** True for a DNS-1123 label that is also a valid Service name (starts with a letter, at most 63). */
export function isServiceName(name: string): boolean {
  return name.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

/** Escapes a literal for an RE2 regular expression. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Producers of Gateway API problems of one app (mesh services, ingress gateways), run by the rules below. */
const SOURCES = new WeakMap<MeshModel, Map<string, (problems: ProblemList) => void>>();

/**
 * Registers a producer of Gateway API problems under `key` (once per key) and
 * the whole-mesh rules (one per `GatewayApiRule` code) that run every
 * producer and report each problem on the construct that declared it.
 */
export function addProblemSource(model: MeshModel, key: string, source: (problems: ProblemList) => void): void {
  let sources = SOURCES.get(model);
  if (!sources) {
    SOURCES.set(model, sources = new Map());
    for (const code of Object.values(GatewayApiRule)) {
      model.addRule(code, () => {
        const problems = new ProblemList();
        for (const s of SOURCES.get(model)?.values() ?? []) s(problems);
        return problems.diagnostics().filter((d) => d.code === code);
      });
    }
  }
  if (!sources.has(key)) {
    sources.set(key, source);
    model.touch();
  }
}
