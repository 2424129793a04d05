import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { propError } from './errors';

/** Validates a percentage (0-100, fractions allowed). */
export function checkPercentage(scope: IConstruct, prop: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw propError(scope, prop, 'must be a percentage between 0 and 100', value, 'use a number such as 10 (for 10%)');
  }
  return value;
}

/** Validates a TCP/UDP port number (1-65535); `fix` says which port to use. */
export function checkPort(scope: IConstruct, prop: string, value: number, fix: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw propError(scope, prop, 'must be a whole number between 1 and 65535', value, fix);
  }
  return value;
}

/** Validates a whole number in [min, max]. */
export function checkInt(scope: IConstruct, prop: string, value: number, min: number, max = 2147483647): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const fix = typeof value === 'number' && value > max ? `use a whole number of at most ${max}`
      : typeof value === 'number' && value < min ? `use a whole number of at least ${min}`
        : `use a whole number between ${min} and ${max}, e.g. ${Math.max(min, Math.min(max, Math.round(Number(value)) || min))}`;
    throw propError(scope, prop, `must be a whole number between ${min} and ${max}`, value, fix);
  }
  return value;
}

/** Validates a duration (whole milliseconds, at least `minMs`) and returns it in milliseconds. */
export function checkDuration(scope: IConstruct, prop: string, value: Duration, minMs = 1): number {
  let ms: number;
  try {
    ms = value.toMilliseconds();
  } catch {
    ms = NaN;
  }
  if (!Number.isInteger(ms) || ms < minMs) {
    throw propError(scope, prop, `must be a whole number of milliseconds, at least ${minMs}ms`, value.toHumanString(), `use e.g. Duration.millis(${Math.max(minMs, 250)})`);
  }
  return ms;
}

/** Optional variants. */
export function optDuration(scope: IConstruct, prop: string, value: Duration | undefined, minMs = 1): number | undefined {
  return value === undefined ? undefined : checkDuration(scope, prop, value, minMs);
}

export function optInt(scope: IConstruct, prop: string, value: number | undefined, min: number, max?: number): number | undefined {
  return value === undefined ? undefined : checkInt(scope, prop, value, min, max);
}

export function optPercentage(scope: IConstruct, prop: string, value: number | undefined): number | undefined {
  return value === undefined ? undefined : checkPercentage(scope, prop, value);
}

/** Istio duration string (protobuf JSON form: seconds with an `s` suffix, e.g. `0.25s`, `10s`). */
export function istioDuration(ms: number): string {
  return `${ms / 1000}s`;
}

/** Escapes a literal for a regular expression (RE2 and JavaScript alike). */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
