import { IConstruct } from 'constructs';
import { Diagnostic, Severity } from '../model/core';
import { MeshSnapshot } from '../model/snapshot';

/**
 * One whole-mesh rule: a stable code, what it reports and where, and a
 * check over the snapshot. The catalog (`./catalog.ts`) lists every rule;
 * `docs/analysis-rules.md` is generated from it.
 *
 * Codes are `<AREA><NNN>` (MESH, TRAFFIC, SEC, GW, GWAPI, OBS, CP, ROLLOUT,
 * GITOPS, AMB) and never reused for another rule; each area's rules are one
 * `<AREA>_RULES` object keyed by an UPPER_SNAKE name.
 */
export interface MeshRule extends RuleDoc {
  /** Findings of the rule in a snapshot. */
  readonly check: (snapshot: MeshSnapshot) => Diagnostic[];
}

/**
 * A rule over the app's construct tree rather than the snapshot: what it
 * checks (objects user code adds with plain cdk8s, charts) is not intent
 * the model records. The synthesis pipeline runs these on the app root.
 */
export interface TreeRule extends RuleDoc {
  /** Findings of the rule in the app under `root`. */
  readonly check: (root: IConstruct, snapshot: MeshSnapshot) => Diagnostic[];
}

/** What `docs/analysis-rules.md` says about a rule. */
export interface RuleDoc {
  /** Stable code, e.g. `TRAFFIC001`. */
  readonly code: string;
  /** Declared severity (a warning fails synth only when promoted). */
  readonly severity: Severity;
  /** The construct a finding is reported on. */
  readonly reportedOn: string;
  /** What the rule catches. */
  readonly summary: string;
  /** How to fix a finding. */
  readonly fix: string;
}

/** A finding of `rule` on `path`. */
export function finding(rule: Pick<MeshRule, 'code' | 'severity'>, path: string, message: string): Diagnostic {
  return { code: rule.code, severity: rule.severity, path, message };
}

/** The rules of one area, keyed by an UPPER_SNAKE name. */
export type RuleSet<K extends string> = Readonly<Record<K, MeshRule>>;
