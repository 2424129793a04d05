import * as fs from 'fs';
import * as path from 'path';
import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as YAML from 'yaml';
import { IstioControlPlane } from '../../src';
import { findObject, SHARED_DIR, synthAndValidate } from '../util';

/**
 * The istio-sidecar-injector ConfigMap carries Istio 1.30.3's own templates
 * unchanged and values of the istiod chart's shape. What the templates render
 * into pods is judged by Istio's injection code in the conformance oracle
 * (conformance/internal/inject); here: the ConfigMap's contents.
 */
const RELEASE_DIR = path.join(SHARED_DIR, 'istio', '1.30.3');
const upstream = (file: string) => fs.readFileSync(path.join(RELEASE_DIR, file), 'utf8');

function injector(props: Record<string, unknown> = {}) {
  const chart = Testing.chart();
  new IstioControlPlane(chart, 'istio', { crds: false, ...props });
  const cm = findObject(synthAndValidate(chart), 'ConfigMap', props.revision ? `istio-sidecar-injector-${props.revision}` : 'istio-sidecar-injector');
  return { cm, config: YAML.parse(cm.data.config), values: JSON.parse(cm.data.values) };
}

/** The `values` of upstream's istiod chart at 1.30.3 as rendered into its ConfigMap (Istio's own golden test output). */
function goldenValues(): any {
  const docs = YAML.parseAllDocuments(upstream('pilot_default.golden.yaml')).map((d) => d.toJS());
  const cm = docs.find((d) => d?.kind === 'ConfigMap' && d.metadata.name === 'istio-sidecar-injector');
  return JSON.parse(cm.data.values);
}

/** Flattens nested values to `a.b.c` paths (arrays and empty objects are leaves). */
function leaves(v: any, prefix = ''): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.keys(v).length === 0) return { [prefix]: v };
  return Object.assign({}, ...Object.entries(v).map(([k, x]) => leaves(x, prefix ? `${prefix}.${k}` : k)));
}

describe('istio-sidecar-injector ConfigMap', () => {
  test('templates are Istio 1.30.3\'s injection templates, byte for byte', () => {
    const { config } = injector();
    expect(Object.keys(config.templates)).toEqual(['sidecar', 'gateway']);
    expect(config.templates.sidecar).toBe(upstream('injection-template.yaml'));
    expect(config.templates.gateway).toBe(upstream('gateway-injection-template.yaml'));
    expect(config.defaultTemplates).toEqual(['sidecar']);
    expect(config.policy).toBe('enabled');
  });

  test('the Gateway API deployment controller also gets the waypoint and kube-gateway templates', () => {
    const { config } = injector({ gatewayApiDeploymentController: true });
    expect(Object.keys(config.templates)).toEqual(['sidecar', 'gateway', 'waypoint', 'kube-gateway']);
    expect(config.templates.waypoint).toBe(upstream('waypoint.yaml'));
    expect(config.templates['kube-gateway']).toBe(upstream('kube-gateway.yaml'));
  });

  test('values have the shape of upstream\'s values; every differing leaf is a control-plane prop', () => {
    const ours = leaves(injector().values);
    const theirs = leaves(goldenValues());
    // upstream keys we do not render: settings of istiod itself or of other charts, which the templates never read
    const notRendered = Object.keys(theirs).filter((k) => !(k in ours) && !Object.keys(ours).some((o) => o.startsWith(`${k}.`)));
    expect(notRendered.sort()).toEqual([
      'global.certSigners', 'global.configValidation', 'global.defaultPodDisruptionBudget.enabled', 'global.defaultResources.requests.cpu',
      'global.istiod.enableAnalysis', 'global.meshNetworks', 'global.networkPolicy.enabled', 'global.omitSidecarInjectorConfigMap',
      'global.operatorManageWebhooks', 'global.priorityClassName', 'global.resourceScope',
      'global.waypoint.affinity', 'global.waypoint.nodeSelector', 'global.waypoint.resources.limits.cpu', 'global.waypoint.resources.limits.memory',
      'global.waypoint.resources.requests.cpu', 'global.waypoint.resources.requests.memory', 'global.waypoint.tolerations',
      'global.waypoint.topologySpreadConstraints',
    ].sort());
    const differing = Object.keys(ours).filter((k) => JSON.stringify(ours[k]) !== JSON.stringify(theirs[k]));
    expect(Object.fromEntries(differing.map((k) => [k, ours[k]]))).toEqual({
      'global.hub': 'docker.io/istio', // IstioControlPlane hub (the golden renders a test registry)
      'global.tag': '1.30.3', // IstioControlPlane tag
      'global.multiCluster.clusterName': 'Kubernetes', // clusterId
      'global.proxy.holdApplicationUntilProxyStarts': true, // holdApplicationUntilProxyStarts
      'global.trustDomain': 'cluster.local', // trustDomain
      // deliberate: the gateways and waypoints istiod deploys pass the restricted Pod Security Standard
      'gateways.seccompProfile.type': 'RuntimeDefault',
    });
  });

  test('values follow the control plane\'s props', () => {
    const { values } = injector({
      revision: '1-30-3',
      namespace: 'mesh',
      hub: 'registry.example/istio',
      tag: '1.30.3-distroless',
      clusterId: 'east',
      trustDomain: 'acme.com',
      holdApplicationUntilProxyStarts: false,
      proxyResources: { cpu: { request: kplus.Cpu.millis(50) }, memory: { request: Size.mebibytes(64), limit: Size.mebibytes(256) } },
    });
    expect(values.revision).toBe('1-30-3');
    expect(values.global).toMatchObject({
      hub: 'registry.example/istio',
      tag: '1.30.3-distroless',
      istioNamespace: 'mesh',
      caAddress: '',
      multiCluster: { clusterName: 'east' },
      trustDomain: 'acme.com',
    });
    expect(values.global.proxy.holdApplicationUntilProxyStarts).toBe(false);
    expect(values.global.proxy.resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } });
  });

  test('default proxy resources are upstream\'s', () => {
    expect(injector().values.global.proxy.resources).toEqual(goldenValues().global.proxy.resources);
  });
});
