import * as fs from 'fs';
import * as path from 'path';
import { Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { GatewayServer, GatewayTls, IngressGateway, MeshGateway } from '../../src';
import { findObject, SHARED_DIR, synthAndValidate } from '../util';

/**
 * Parity with the upstream ingress gateway that `istioctl` renders
 * (legacy `gateways/istio-ingress` chart, default profile), from
 * ../shared/istio/all_on.golden-show-in-gh-pull-request.yaml.
 *
 * Deliberate differences (asserted below, so they stay deliberate):
 * - env GOMEMLIMIT and GOMAXPROCS: added by the one Envoy spec (HEAD injector
 *   templates set them) so the Go agent honours the container limits; the
 *   golden comes from a frozen older chart.
 * - volumes ingressgateway-certs / ingressgateway-ca-certs: legacy file-mounted
 *   certificates (optional Secrets), superseded by SDS `credentialName`,
 *   which is what `GatewayTls` uses; mounting them would only widen access.
 * - kind Gateway: the Istio Gateway resource is configuration, which istioctl
 *   does not render; the construct owns it.
 */
const UPSTREAM_FILE = path.join(SHARED_DIR, 'istio', 'all_on.golden-show-in-gh-pull-request.yaml');
const DELIBERATE_EXTRA_ENV = ['GOMAXPROCS', 'GOMEMLIMIT'];
const DELIBERATE_MISSING_VOLUMES = ['ingressgateway-ca-certs', 'ingressgateway-certs'];

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

    test('container ports, args, probes, security context', () => {
      expect(meC.ports.map((p: any) => [p.containerPort, p.protocol])).toEqual(upC.ports.map((p: any) => [p.containerPort, p.protocol]));
      expect(meC.args).toEqual(upC.args);
      expect(meC.readinessProbe).toEqual(upC.readinessProbe);
      expect(meC.livenessProbe).toEqual(upC.livenessProbe);
      expect(meC.securityContext).toMatchObject(upC.securityContext);
      expect(meC.resources).toEqual(upC.resources);
      expect(meDeploy.spec.template.spec.securityContext).toMatchObject(upDeploy.spec.template.spec.securityContext);
      expect(meDeploy.spec.strategy.rollingUpdate).toEqual(upDeploy.spec.strategy.rollingUpdate);
    });

    test('env names match, except the deliberate additions', () => {
      const upNames = upC.env.map((e: any) => e.name).sort();
      const meNames = meC.env.map((e: any) => e.name).sort();
      expect(meNames.filter((n: string) => !upNames.includes(n))).toEqual(DELIBERATE_EXTRA_ENV);
      expect(upNames.filter((n: string) => !meNames.includes(n))).toEqual([]);
      // literal values agree (CA address, workload name, owner, mesh/cluster ids)
      for (const e of upC.env.filter((x: any) => x.value !== undefined)) expect(meC.env).toContainEqual({ name: e.name, value: e.value });
    });

    test('volume names and mounts match, except the deliberate omissions', () => {
      const upVols = upDeploy.spec.template.spec.volumes.map((v: any) => v.name).sort();
      const meVols = meDeploy.spec.template.spec.volumes.map((v: any) => v.name).sort();
      expect(upVols.filter((n: string) => !meVols.includes(n))).toEqual(DELIBERATE_MISSING_VOLUMES);
      expect(meVols.filter((n: string) => !upVols.includes(n))).toEqual([]);
      const mounts = (c: any) => c.volumeMounts.filter((m: any) => !DELIBERATE_MISSING_VOLUMES.includes(m.name)).map((m: any) => `${m.name}:${m.mountPath}`).sort();
      expect(mounts(meC)).toEqual(mounts(upC));
    });

    test('Service ports, type and selector labels match', () => {
      const upSvc = findObject(up, 'Service', 'istio-ingressgateway');
      const meSvc = findObject(me, 'Service', 'istio-ingressgateway');
      expect(meSvc.spec.ports).toEqual(upSvc.spec.ports);
      expect(meSvc.spec.type).toBe(upSvc.spec.type);
      expect(meSvc.spec.selector).toEqual(upSvc.spec.selector);
      expect(meDeploy.spec.selector).toEqual(upDeploy.spec.selector);
      expect(meDeploy.spec.template.metadata.labels).toMatchObject(upDeploy.spec.selector.matchLabels);
      for (const k of ['sidecar.istio.io/inject', 'service.istio.io/canonical-name', 'istio.io/rev']) {
        expect(meDeploy.spec.template.metadata.labels[k]).toBe(upDeploy.spec.template.metadata.labels[k]);
      }
      expect(meDeploy.spec.template.metadata.annotations).toEqual(upDeploy.spec.template.metadata.annotations);
    });

    test('RBAC and HPA match', () => {
      expect(findObject(me, 'Role', 'istio-ingressgateway-sds').rules).toEqual(findObject(up, 'Role', 'istio-ingressgateway-sds').rules);
      expect(findObject(me, 'RoleBinding', 'istio-ingressgateway-sds').roleRef).toEqual(findObject(up, 'RoleBinding', 'istio-ingressgateway-sds').roleRef);
      expect(findObject(me, 'HorizontalPodAutoscaler', 'istio-ingressgateway').spec).toEqual(findObject(up, 'HorizontalPodAutoscaler', 'istio-ingressgateway').spec);
    });
  });

  test('the default proxy image', () => {
    expect(MeshGateway.DEFAULT_IMAGE).toBe('docker.io/istio/proxyv2:1.30.3');
  });
});
