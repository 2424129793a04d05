import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { GatewayServer, GatewayTls, IngressGateway } from '../../src';
import { findObject, SHARED_DIR, synthAndValidate } from '../util';

/**
 * Parity with the upstream ingress gateway that `istioctl` renders
 * (legacy `gateways/istio-ingress` chart, default profile), from
 * ../shared/istio/all_on.golden-show-in-gh-pull-request.yaml: the objects,
 * Service, RBAC and HPA. The proxy itself is no longer written by cdk8s-mesh:
 * the gateway is an injected gateway (as Istio's `gateway` chart deploys it),
 * so istiod fills in the container from its `gateway` template; the
 * conformance oracle (conformance/internal/inject) compares that injected pod
 * with upstream's field by field. Here: the placeholder the pod declares keeps
 * the upstream container's ports, security context and resources.
 *
 * Deliberate differences (asserted below, so they stay deliberate):
 * - the pod opts in to injection (`sidecar.istio.io/inject: "true"` label,
 *   `inject.istio.io/templates: gateway`) instead of carrying the proxy spec.
 * - kind Gateway: the Istio Gateway resource is configuration, which istioctl
 *   does not render; the construct owns it.
 */
const UPSTREAM_FILE = path.join(SHARED_DIR, 'istio', 'all_on.golden-show-in-gh-pull-request.yaml');

function upstreamIngress(): any[] {
  const docs = YAML.parseAllDocuments(fs.readFileSync(UPSTREAM_FILE, 'utf8')).map((d) => d.toJS()).filter((d) => d);
  return docs.filter((d: any) => d.metadata?.namespace === 'istio-system' && /^istio-ingressgateway/.test(d.metadata?.name));
}

function ours(): any[] {
  const chart = Testing.chart();
  new IngressGateway(chart, 'istio-ingressgateway', {
    namespace: 'istio-system',
    autoscaling: { minReplicas: 1, maxReplicas: 5 }, // the default profile's HPA
    servers: [GatewayServer.https({ hosts: ['*'], tls: GatewayTls.simple('cert') })],
  });
  return synthAndValidate(chart);
}

describe('MeshGateway', () => {
  describe('parity with the upstream istio-ingressgateway', () => {
    const up = upstreamIngress();
    const me = ours();
    const upDeploy = findObject(up, 'Deployment', 'istio-ingressgateway');
    const meDeploy = findObject(me, 'Deployment', 'istio-ingressgateway');
    const upC = upDeploy.spec.template.spec.containers[0];
    const meC = meDeploy.spec.template.spec.containers[0];

    test('the upstream file holds the six ingress objects', () => {
      expect(up.map((o) => o.kind).sort()).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
    });

    test('same kinds and names (plus the Gateway resource)', () => {
      const key = (o: any) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
      expect(me.filter((o) => o.kind !== 'Gateway').map(key).sort()).toEqual(up.map(key).sort());
      expect(me.filter((o) => o.kind === 'Gateway').map(key)).toEqual(['Gateway/istio-system/istio-ingressgateway']);
    });

    test('the istio-proxy placeholder keeps the upstream container\'s ports, security context and resources', () => {
      expect(meDeploy.spec.template.spec.containers).toHaveLength(1);
      expect(meC.name).toBe('istio-proxy');
      expect(meC.image).toBe('auto');
      expect(meC.ports.map((p: any) => [p.containerPort, p.protocol])).toEqual(upC.ports.map((p: any) => [p.containerPort, p.protocol]));
      expect(meC.securityContext).toMatchObject(upC.securityContext);
      expect(meC.resources).toEqual(upC.resources);
      expect(meDeploy.spec.template.spec.securityContext).toMatchObject(upDeploy.spec.template.spec.securityContext);
      expect(meDeploy.spec.strategy.rollingUpdate).toEqual(upDeploy.spec.strategy.rollingUpdate);
      // everything else comes from istiod's gateway template
      for (const k of ['args', 'env', 'readinessProbe', 'volumeMounts']) expect(meC[k]).toBeUndefined();
      expect(meDeploy.spec.template.spec.volumes).toBeUndefined();
    });

    test('the pod opts in to injection with the gateway template (default revision: no istio.io/rev label)', () => {
      const labels = meDeploy.spec.template.metadata.labels;
      expect(labels['sidecar.istio.io/inject']).toBe('true');
      expect(labels['istio.io/rev']).toBeUndefined();
      expect(meDeploy.spec.template.metadata.annotations['inject.istio.io/templates']).toBe('gateway');
    });

    test('Service ports, type and selector labels match', () => {
      const upSvc = findObject(up, 'Service', 'istio-ingressgateway');
      const meSvc = findObject(me, 'Service', 'istio-ingressgateway');
      expect(meSvc.spec.ports).toEqual(upSvc.spec.ports);
      expect(meSvc.spec.type).toBe(upSvc.spec.type);
      expect(meSvc.spec.selector).toEqual(upSvc.spec.selector);
      expect(meDeploy.spec.selector).toEqual(upDeploy.spec.selector);
      expect(meDeploy.spec.template.metadata.labels).toMatchObject(upDeploy.spec.selector.matchLabels);
      // the legacy chart's pod is not injected; ours is (istiod adds the canonical labels and istio.io/rev annotation)
      const { ['inject.istio.io/templates']: templates, ...annotations } = meDeploy.spec.template.metadata.annotations;
      expect(templates).toBe('gateway');
      const { ['sidecar.istio.io/inject']: legacyOptOut, ['istio.io/rev']: rev, ...upAnnotations } = upDeploy.spec.template.metadata.annotations;
      expect(legacyOptOut).toBe('false');
      expect(rev).toBe('default'); // the gateway template writes it at injection
      expect(annotations).toEqual(upAnnotations);
    });

    test('RBAC and HPA match', () => {
      expect(findObject(me, 'Role', 'istio-ingressgateway-sds').rules).toEqual(findObject(up, 'Role', 'istio-ingressgateway-sds').rules);
      expect(findObject(me, 'RoleBinding', 'istio-ingressgateway-sds').roleRef).toEqual(findObject(up, 'RoleBinding', 'istio-ingressgateway-sds').roleRef);
      expect(findObject(me, 'HorizontalPodAutoscaler', 'istio-ingressgateway').spec).toEqual(findObject(up, 'HorizontalPodAutoscaler', 'istio-ingressgateway').spec);
    });
  });
});
