/**
 * A Pod Security Standard level and why not stricter.
 */
export interface PodSecurityLevelInfo {
  /** `privileged`, `baseline` or `restricted`. */
  readonly level: string;
  /** Why not stricter (empty for `restricted`). */
  readonly reason: string;
}
