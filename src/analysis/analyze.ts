import { RULE_CATALOG } from './catalog';
import { Diagnostic } from '../model/core';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { MeshSnapshot } from '../model/snapshot';

/**
 * The analysis step of the pipeline: every rule of the catalog over the
 * snapshot, findings sorted by construct path then code.
 */
export function analyze(snapshot: MeshSnapshot): Diagnostic[] {
  const out = RULE_CATALOG.flatMap((rule) => rule.check(snapshot));
  return out.sort((a, b) => (a.path === b.path ? a.code.localeCompare(b.code) : a.path.localeCompare(b.path)));
}

/** The findings of an app's model, computed once per model revision. */
export function findingsOf(model: MeshModel): Diagnostic[] {
  return model.memo('findings', () => analyze(snapshotOf(model)));
}

/** True if this finding fails synthesis (an error, or a promoted warning). */
export function isFatal(snapshot: Pick<MeshSnapshot, 'promotedWarnings'>, d: Diagnostic): boolean {
  return d.severity === 'error' || snapshot.promotedWarnings.includes('*') || snapshot.promotedWarnings.includes(d.code);
}

/** The fatal findings reported on one construct path, as `node.addValidation` messages (`CODE: message`). */
export function errorsFor(model: MeshModel, path: string): string[] {
  const snapshot = snapshotOf(model);
  return findingsOf(model).filter((d) => d.path === path && isFatal(snapshot, d)).map((d) => `${d.code}: ${d.message}`);
}
