import {
  AuthorizationPolicySpec, AuthorizationPolicySpecAction, AuthorizationPolicySpecRules, AuthorizationPolicySpecRulesFromSource,
  AuthorizationPolicySpecRulesTo, AuthorizationPolicySpecRulesWhen,
} from '../imports/security.istio.io';
import {
  AuthorizationActionName, AuthorizationConditionModel, AuthorizationOperationModel, AuthorizationPolicyModel, AuthorizationRuleModel,
  AuthorizationSourceModel, principalOf,
} from '../model/security';

/**
 * Istio `security.istio.io/v1` AuthorizationPolicy rendering: pure functions
 * from the model to the generated spec types.
 */

/** What the renderers read from the mesh: the trust domain principals are rendered with. */
export type AuthorizationMesh = { readonly trustDomain: string };

const ACTIONS: Record<AuthorizationActionName, AuthorizationPolicySpecAction> = {
  ALLOW: AuthorizationPolicySpecAction.ALLOW,
  DENY: AuthorizationPolicySpecAction.DENY,
  CUSTOM: AuthorizationPolicySpecAction.CUSTOM,
};

/** A Service port and the workload port it forwards to. */
export type ServicePortMapping = { readonly port: number; readonly targetPort: number };

/**
 * `spec` of an AuthorizationPolicy. A policy with neither action nor rules
 * renders as the empty spec (Istio's "allow nothing"). With `waypointServices`
 * (ambient, non-empty), `targetRefs` to those Services replace the workload selector,
 * and the rules' ports become the Service ports of `servicePorts`: the model holds
 * workload ports, which a sidecar or ztunnel sees, while a waypoint serves the
 * Service address and matches the Service port.
 */
export function renderAuthorizationPolicySpec(policy: AuthorizationPolicyModel, mesh: AuthorizationMesh,
  waypointServices: readonly string[] = [], servicePorts: readonly ServicePortMapping[] = []): AuthorizationPolicySpec {
  if (policy.action === 'CUSTOM' && !policy.provider) {
    throw new Error(`internal: CUSTOM authorization policy ${policy.path} names no provider`);
  }
  if (policy.provider !== undefined && policy.action !== 'CUSTOM') {
    throw new Error(`internal: authorization policy ${policy.path} names provider ${policy.provider} but its action is ${policy.action ?? 'unset'}, not CUSTOM`);
  }
  return {
    // ambient (issue 17): a policy of a service with a waypoint targets the Service, whose waypoint enforces it
    ...(waypointServices.length > 0 ? { targetRefs: waypointServices.map((name) => ({ group: '', kind: 'Service', name })) }
      : policy.selector ? { selector: { matchLabels: { ...policy.selector } } } : {}),
    ...(policy.action ? { action: ACTIONS[policy.action] } : {}),
    ...(policy.provider !== undefined ? { provider: { name: policy.provider } } : {}),
    ...(policy.rules
      ? { rules: renderAuthorizationRules(waypointServices.length > 0 ? atServicePorts(policy, servicePorts) : policy.rules, mesh) }
      : {}),
  };
}

/** The policy's rules with each workload port replaced by the Service ports that forward to it. */
function atServicePorts(policy: AuthorizationPolicyModel, servicePorts: readonly ServicePortMapping[]): readonly AuthorizationRuleModel[] {
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
export function renderAuthorizationRules(rules: readonly AuthorizationRuleModel[], mesh: AuthorizationMesh): AuthorizationPolicySpecRules[] {
  return rules.map((rule) => ({
    ...(rule.from ? { from: rule.from.map((source) => ({ source: renderAuthorizationSource(source, mesh) })) } : {}),
    ...(rule.operation ? { to: renderOperation(rule.operation) } : {}),
    ...(rule.when ? { when: rule.when.map(renderCondition) } : {}),
  }));
}

/** One `from[].source`: identities become principals with the mesh's trust domain. */
export function renderAuthorizationSource(source: AuthorizationSourceModel, mesh: AuthorizationMesh): AuthorizationPolicySpecRulesFromSource {
  const principals = [
    ...(source.identities ?? []).map((id) => principalOf(mesh, id.namespace, id.serviceAccount)),
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
