import { ApiObject } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Diagnostic } from '../../model/core';
import { propMessage } from '../../private/errors';
import { finding, TreeRule } from '../rule';

/**
 * MESH005, a rule over the emitted objects rather than the snapshot: the
 * objects of an app include what user code adds with plain cdk8s, which the
 * model does not know.
 */
export const DUPLICATE_OBJECT_RULE: TreeRule = {
  code: 'MESH005',
  severity: 'error',
  reportedOn: 'the second emitting construct (via the app root)',
  summary: 'Two constructs emit the same API group, kind, namespace and name with different content (two `JwtAuthentication`s for one service, a `serviceAccountName` equal to another service\'s, two `ExternalService`s with one `serviceName`, one namespace declared twice with different settings): `kubectl apply` and Argo CD keep only one of them. Identical objects are allowed.',
  fix: 'Give one construct another name, or declare the object once.',
  check: (root) => duplicateObjects(root),
};

/** JSON with object keys sorted, so equal content compares equal whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The construct a user declared for an API object: its parent when the object is that construct's `Resource`. */
function ownerPath(obj: ApiObject): string {
  const parent = obj.node.scope;
  return obj.node.id === 'Resource' && parent ? parent.node.path : obj.node.path;
}

/**
 * Whole-app check: two API objects with the same API group, kind, namespace
 * and name but different content. `kubectl apply` and Argo CD keep only one
 * of them (which one depends on file order), so the other construct's intent
 * is silently lost. Objects that are identical by design (e.g. one namespace
 * declared by two charts with the same labels) are allowed.
 *
 * Each finding is reported on the second construct that emits the object.
 */
function duplicateObjects(root: IConstruct): Diagnostic[] {
  const candidates = new Map<string, ApiObject[]>();
  for (const c of root.node.findAll()) {
    if (!ApiObject.isApiObject(c)) continue;
    const group = c.apiVersion.includes('/') ? c.apiVersion.slice(0, c.apiVersion.indexOf('/')) : '';
    // the namespace is compared on the rendered object (cluster-scoped kinds drop the chart's namespace there)
    const key = `${group}|${c.kind}|${c.name}`;
    const list = candidates.get(key);
    if (list) list.push(c); else candidates.set(key, [c]);
  }
  const out: Diagnostic[] = [];
  for (const list of candidates.values()) {
    if (list.length < 2) continue;
    const seen = new Map<string, { obj: ApiObject; content: string }>();
    for (const obj of list) {
      const json = obj.toJson();
      const ns = json?.metadata?.namespace ?? '';
      const content = canonical(json);
      const first = seen.get(ns);
      if (!first) {
        seen.set(ns, { obj, content });
        continue;
      }
      if (first.content === content) continue;
      const where = ns ? `${ns}/${obj.name}` : obj.name;
      out.push(finding(DUPLICATE_OBJECT_RULE, ownerPath(obj), propMessage('metadata.name',
        `must identify one object: ${obj.apiVersion} ${obj.kind} ${where} is also emitted by ${ownerPath(first.obj)} with different content, and kubectl apply or Argo CD would keep only one of them`,
        obj.name,
        `give one of the two constructs another name (its id or name prop), or declare the ${obj.kind} once and pass that construct to both users`)));
    }
  }
  return out;
}
