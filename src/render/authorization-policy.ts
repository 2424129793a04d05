import {
  AuthorizationPolicySpec, AuthorizationPolicySpecAction, AuthorizationPolicySpecRules, AuthorizationPolicySpecRulesFromSource,
  AuthorizationPolicySpecRulesTo, AuthorizationPolicySpecRulesWhen,
} from '../imports/security.istio.io';
import { PortModel } from '../model/core';
import {
  AuthorizationActionName, AuthorizationConditionModel, AuthorizationOperationModel, AuthorizationPolicyModel, AuthorizationRuleModel,
  AuthorizationSourceModel, principalOf,
} from '../model/security';
import { MeshSnapshot, ServiceSnapshot } from '../model/snapshot';

/**
 * Istio `security.istio.io/v1` AuthorizationPolicy rendering: pure functions
 * from the snapshot to the generated spec types.
 */

const ACTIONS: Readonly<Record<AuthorizationActionName, AuthorizationPolicySpecAction>> = {
  ALLOW: AuthorizationPolicySpecAction.ALLOW,
  DENY: AuthorizationPolicySpecAction.DENY,
  CUSTOM: AuthorizationPolicySpecAction.CUSTOM,
};

/**
 * `spec` of an AuthorizationPolicy. A policy with neither action nor rules
 * renders as the empty spec (Istio's "allow nothing"). The policy of an
 * ambient service with a waypoint targets the Services attached to that
 * waypoint (`targetRefs`), which enforces it, instead of selecting the
 * service's pods; its rules' ports then become the Service ports that
 * forward to them: the model holds workload ports, which a sidecar or
 * ztunnel sees, while a waypoint serves the Service address and matches the
 * Service port.
 */
export function renderAuthorizationPolicySpec(snapshot: MeshSnapshot, policy: AuthorizationPolicyModel): AuthorizationPolicySpec {
  const service = policy.serviceHost ? snapshot.service(policy.serviceHost) : undefined;
  const waypointServices = service?.waypointServices ?? [];
  if (policy.action === 'CUSTOM' && !policy.provider) {
    throw new Error(`internal: CUSTOM authorization policy ${policy.path} names no provider`);
  }
  if (policy.provider !== undefined && policy.action !== 'CUSTOM') {
    throw new Error(`internal: authorization policy ${policy.path} names provider ${policy.provider} but its action is ${policy.action ?? 'unset'}, not CUSTOM`);
  }
  return {
    ...(waypointServices.length > 0 ? { targetRefs: waypointServices.map((name) => ({ group: '', kind: 'Service', name })) }
      : policy.selector ? { selector: { matchLabels: { ...policy.selector } } } : {}),
    ...(policy.action ? { action: ACTIONS[policy.action] } : {}),
    ...(policy.provider !== undefined ? { provider: { name: policy.provider } } : {}),
    ...(policy.rules
      ? { rules: renderAuthorizationRules(snapshot, service && waypointServices.length > 0 ? atServicePorts(policy, service.ports) : policy.rules) }
      : {}),
  };
}

/** The policy's rules with each workload port replaced by the Service ports that forward to it. */
function atServicePorts(policy: AuthorizationPolicyModel, servicePorts: readonly PortModel[]): readonly AuthorizationRuleModel[] {
  return (policy.rules ?? []).map((rule) => {
    if (!rule.operation?.ports) return rule;
    const ports = rule.operation.ports.flatMap((p) => {
      const mapped = servicePorts.filter((sp) => String(sp.targetPort) === p).map((sp) => String(sp.port));
      if (mapped.length === 0) throw new Error(`internal: authorization policy ${policy.path} names workload port ${p}, which no port of its Service forwards to`);
      return mapped;
    });
    return { ...rule, operation: { ...rule.operation, ports: [...new Set(ports)] } };
  });
}

/** `rules[]` of an AuthorizationPolicy, in model order. */
export function renderAuthorizationRules(snapshot: MeshSnapshot, rules: readonly AuthorizationRuleModel[]): AuthorizationPolicySpecRules[] {
  return rules.map((rule) => ({
    ...(rule.from ? { from: rule.from.map((source) => ({ source: renderAuthorizationSource(snapshot, source) })) } : {}),
    ...(rule.operation ? { to: renderOperation(rule.operation) } : {}),
    ...(rule.when ? { when: rule.when.map(renderCondition) } : {}),
  }));
}

/** One `from[].source`: identities become principals with the mesh's trust domain. */
function renderAuthorizationSource(snapshot: MeshSnapshot, source: AuthorizationSourceModel): AuthorizationPolicySpecRulesFromSource {
  const principals = [
    ...(source.identities ?? []).map((id) => principalOf(snapshot.mesh.trustDomain, id.namespace, id.serviceAccount)),
    ...(source.principals ?? []),
  ];
  return {
    ...(source.identities || source.principals ? { principals } : {}),
    ...(source.namespaces ? { namespaces: [...source.namespaces] } : {}),
    ...(source.notRequestPrincipals ? { notRequestPrincipals: [...source.notRequestPrincipals] } : {}),
  };
}

function renderOperation(operation: AuthorizationOperationModel): AuthorizationPolicySpecRulesTo[] {
  return [{
    operation: {
      ...(operation.methods ? { methods: [...operation.methods] } : {}),
      ...(operation.paths ? { paths: [...operation.paths] } : {}),
      ...(operation.ports ? { ports: [...operation.ports] } : {}),
    },
  }];
}

function renderCondition(condition: AuthorizationConditionModel): AuthorizationPolicySpecRulesWhen {
  return {
    key: condition.key,
    ...(condition.values ? { values: [...condition.values] } : {}),
    ...(condition.notValues ? { notValues: [...condition.notValues] } : {}),
  };
}

/**
 * `spec` of `<service>-metrics-scrape`: the app's Prometheus servers scrape an
 * ambient pod's own metrics endpoint by pod address, as ambient workloads
 * themselves (a `PrometheusAddon` joins an ambient mesh), so ztunnel sees
 * their identity. Under an ALLOW policy (the waypoint-only guard, the
 * service's authorization, a namespace's deny-by-default) this policy admits
 * those identities on the metrics port, and on nothing else: ztunnel matches
 * L4 only, so the path cannot be narrowed further.
 */
export function renderMetricsScrapeSpec(service: ServiceSnapshot): AuthorizationPolicySpec {
  if (!service.metrics || service.scrapePrincipals.length === 0) throw new Error(`internal: ${service.path} admits no metrics scrape`);
  return {
    selector: { matchLabels: { app: service.name } },
    action: AuthorizationPolicySpecAction.ALLOW,
    rules: [{
      from: [{ source: { principals: [...service.scrapePrincipals] } }],
      to: [{ operation: { ports: [String(service.metrics.port)] } }],
    }],
  };
}

/**
 * `spec` of the policy that lets an ambient service's pods accept
 * connections from its waypoint only (ztunnel enforces it), so the
 * waypoint's L7 policies cannot be bypassed by addressing the pods directly.
 */
export function renderWaypointGuardSpec(snapshot: MeshSnapshot, service: ServiceSnapshot): AuthorizationPolicySpec {
  const waypoint = snapshot.waypoints.find((w) => w.namespace === service.namespace);
  if (!waypoint) throw new Error(`internal: ${service.path} accepts its waypoint only, but namespace ${service.namespace} has no waypoint`);
  return {
    selector: { matchLabels: { ...service.selector } },
    action: AuthorizationPolicySpecAction.ALLOW,
    rules: [{ from: [{ source: { principals: [waypoint.principal] } }] }],
  };
}
