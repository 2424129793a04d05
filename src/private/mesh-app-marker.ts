/**
 * Marks a `MeshApp` (a property keyed by this symbol is set on every instance),
 * so the rule catalog can tell a plain cdk8s `App` from one without importing
 * the class that imports it.
 */
export const MESH_APP = Symbol.for('cdk8s-mesh.MeshApp');

/** True if `scope` is a `MeshApp`. */
export function isMeshApp(scope: unknown): boolean {
  return typeof scope === 'object' && scope !== null && MESH_APP in scope;
}
