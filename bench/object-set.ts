/**
 * Equality of object sets for the benchmark's baselines: the digest of a set of
 * Kubernetes objects, independent of their order and of key order.
 */
import { createHash } from 'crypto';

/** Sorted-key JSON: the same object gives the same text whatever its key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The sha256 of the set of objects. */
export function objectSetDigestOf(objects: readonly unknown[]): string {
  const h = createHash('sha256');
  for (const line of objects.map(canonical).sort()) h.update(line).update('\n');
  return h.digest('hex');
}
