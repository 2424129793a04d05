import { propMessage } from '../../private/errors';

/**
 * Something the model declares that the Gateway API (standard channel
 * v1.5.1) cannot express. The renderers never drop such intent: they report
 * it, and the analysis (`GATEWAY_API_RULES`) turns each report into a
 * synth-time error on the construct that declared it.
 */
export interface GatewayApiProblem {
  readonly kind: GatewayApiProblemKind;
  /** Construct path the problem is reported on. */
  readonly path: string;
  readonly prop: string;
  readonly rule: string;
  readonly value: unknown;
  readonly fix: string;
}

/** The kinds of problem the Gateway API rendering reports. */
export const ProblemKind = {
  /** A route or release feature with no standard-channel Gateway API equivalent. */
  NOT_EXPRESSIBLE: 'not-expressible',
  /** The Gateway API's route precedence would evaluate the routes in another order than declared. */
  ORDER_CHANGES: 'order',
  /** Argo Rollouts' traffic router for the Gateway API is a plugin cdk8s-mesh does not configure. */
  ROLLOUTS_PLUGIN: 'rollouts-plugin',
  /** A name the Gateway API rendering derives is not a valid Kubernetes name. */
  NAME: 'name',
  /** A gateway server the Gateway API listener model cannot carry. */
  LISTENER: 'listener',
} as const;

export type GatewayApiProblemKind = typeof ProblemKind[keyof typeof ProblemKind];

/** Collects problems while rendering. */
export class ProblemList {
  public readonly items: GatewayApiProblem[] = [];

  public add(kind: GatewayApiProblemKind, path: string, prop: string, rule: string, value: unknown, fix: string): void {
    this.items.push({ kind, path, prop, rule, value, fix });
  }
}

/** Thrown by a lazy spec when rendering is reached despite problems (the analysis reports them first). */
export function assertNoProblems(problems: ProblemList): void {
  if (problems.items.length === 0) return;
  const p = problems.items[0];
  throw new Error(`[${p.path}] ${propMessage(p.prop, p.rule, p.value, p.fix)}`);
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
