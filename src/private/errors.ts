import { IConstruct } from 'constructs';

/**
 * An input error found by cdk8s-mesh. Every message names the construct path,
 * the prop, the value received, the rule and the fix, so `cdk8s synth` output
 * is actionable on its own.
 */
export class MeshValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeshValidationError';
  }
}

/** Renders a value the way error messages quote it. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  // JSON has no NaN or Infinity (JSON.stringify writes null): show them as they are
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The message body used by both thrown errors and `node.addValidation` rules
 * (which cdk8s prefixes with `[path]` itself).
 */
export function propMessage(prop: string, rule: string, value: unknown, fix: string): string {
  return `'${prop}' ${rule}, got ${show(value)}. Fix: ${fix}`;
}

/** An error thrown from a constructor or method, prefixed with the construct path. */
export function propError(scope: IConstruct, prop: string, rule: string, value: unknown, fix: string): MeshValidationError {
  return new MeshValidationError(`[${scope.node.path}] ${propMessage(prop, rule, value, fix)}`);
}
