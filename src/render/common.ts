import { StringMatchModel } from '../model/traffic';
import { istioDuration } from '../private/values';

/**
 * Small helpers shared by the renderers. Nothing here knows a kind: each
 * renderer states its own L1 return type.
 */

/**
 * `o` without its undefined fields, or undefined when nothing is left. `T` is
 * never inferred from `o` (so the object literal is checked against the L1
 * interface, and a misspelled field does not compile): pass it, or let the
 * caller's declared return type supply it.
 */
export function compact<T extends object>(o: NoInfer<T>): T | undefined {
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) as T : undefined;
}

/** An Istio duration (`'1.5s'`) from whole milliseconds; undefined stays undefined. */
export function dur(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : istioDuration(ms);
}

/**
 * An Istio `StringMatch` (`{ exact }`, `{ prefix }` or `{ regex }`). The
 * shape is the same in every place Istio takes one (URI, header, query
 * parameter, CORS origin), so the result fits each of their L1 interfaces.
 */
export function renderStringMatch(m: StringMatchModel): { exact?: string; prefix?: string; regex?: string } {
  switch (m.kind) {
    case 'exact': return { exact: m.value };
    case 'prefix': return { prefix: m.value };
    case 'regex': return { regex: m.value };
  }
}
