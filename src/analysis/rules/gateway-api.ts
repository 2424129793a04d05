import { Diagnostic } from '../../model/core';
import { MeshSnapshot } from '../../model/snapshot';
import { propMessage } from '../../private/errors';
import { renderGatewayApiGatewaySpec, renderGatewayApiRouteSpec } from '../../render/gateway-api/gateway';
import { renderMeshHttpRoutes } from '../../render/gateway-api/mesh-http-route';
import { GatewayApiProblemKind, ProblemList } from '../../render/gateway-api/problems';
import { MeshRule, RuleSet } from '../rule';

/**
 * Rules over what the Gateway API rendering cannot express (`GWAPInnn`):
 * the renderers report it while rendering the services and ingress gateways
 * routed with `RoutingApi.GATEWAY_API`; each problem is an error on the
 * construct that declared the intent.
 */

/** Every problem of the Gateway API rendering of the app. */
function gatewayApiProblems(s: MeshSnapshot): ProblemList {
  const problems = new ProblemList();
  for (const svc of s.services) {
    if (svc.routingApi === 'gateway-api' && svc.ports.some((p) => p.protocol !== 'tcp')) renderMeshHttpRoutes(svc, problems);
  }
  for (const g of s.gateways) {
    if (g.routingApi !== 'gateway-api' || g.direction !== 'ingress' || g.attached) continue;
    renderGatewayApiGatewaySpec(g, problems);
    for (const t of g.routeTables) renderGatewayApiRouteSpec(s, g, t.host, problems);
  }
  return problems;
}

function problemsOf(kind: GatewayApiProblemKind, rule: () => MeshRule): (s: MeshSnapshot) => Diagnostic[] {
  return (s) => gatewayApiProblems(s).items.filter((p) => p.kind === kind)
    .map((p) => ({ code: rule().code, severity: rule().severity, path: p.path, message: propMessage(p.prop, p.rule, p.value, p.fix) }));
}

export const GATEWAY_API_RULES: RuleSet<'NOT_EXPRESSIBLE' | 'ORDER_CHANGES' | 'ROLLOUTS_PLUGIN' | 'NAME' | 'LISTENER'> = {
  NOT_EXPRESSIBLE: {
    code: 'GWAPI001',
    severity: 'error',
    reportedOn: 'the `MeshRoute` / `MeshService` / `IngressGateway`',
    summary: 'Intent the standard channel of Gateway API v1.5.1 cannot express: retries, fault injection, case-insensitive paths, regex rewrites, CORS origins by prefix or regex, redirect codes other than 301/302/303/307/308, consistent-hash load balancing (pilot adds no hash policy to routes converted from an HTTPRoute), TCP ports of a multi-version service, more than 16 rules, a multi-version gateway backend routed with the Istio API.',
    fix: 'Drop the feature, or `routingApi: RoutingApi.ISTIO` on that service.',
    check: problemsOf('not-expressible', () => GATEWAY_API_RULES.NOT_EXPRESSIBLE),
  },
  ORDER_CHANGES: {
    code: 'GWAPI002',
    severity: 'error',
    reportedOn: 'the later `MeshRoute` / the `IngressGateway`',
    summary: 'Two routes a request can both match whose declared order the Gateway API\'s precedence (exact path, longest prefix, method, header and query counts) would reverse.',
    fix: 'Declare the more specific route first, or make the matches exclusive.',
    check: problemsOf('order', () => GATEWAY_API_RULES.ORDER_CHANGES),
  },
  ROLLOUTS_PLUGIN: {
    code: 'GWAPI003',
    severity: 'error',
    reportedOn: 'the `MeshService`',
    summary: 'A release driven by Argo Rollouts: its Gateway API traffic router is a plugin cdk8s-mesh does not configure.',
    fix: '`RoutingApi.ISTIO` for the service, or a release without Argo Rollouts.',
    check: problemsOf('rollouts-plugin', () => GATEWAY_API_RULES.ROLLOUTS_PLUGIN),
  },
  NAME: {
    code: 'GWAPI004',
    severity: 'error',
    reportedOn: 'the `MeshService`',
    summary: 'A version whose Service name `<service>-<version>` is not a DNS-1035 label.',
    fix: 'Shorter, lower-case version or service names.',
    check: problemsOf('name', () => GATEWAY_API_RULES.NAME),
  },
  LISTENER: {
    code: 'GWAPI005',
    severity: 'error',
    reportedOn: 'the `IngressGateway`',
    summary: 'A server the Gateway API listener model cannot carry here (mutual TLS, passthrough, ISTIO_MUTUAL, TCP, a `<namespace>/` host prefix).',
    fix: '`GatewayServer.http` / `https` with `GatewayTls.simple`, or `RoutingApi.ISTIO` for the gateway\'s chart.',
    check: problemsOf('listener', () => GATEWAY_API_RULES.LISTENER),
  },
};
