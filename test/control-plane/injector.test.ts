import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as YAML from 'yaml';
import { renderTemplate } from './util/render-template';
import { IstioControlPlane } from '../../src';
import { envoyContainer, envoyManifestJson, envoyVolumes } from '../../src/data-plane/envoy-proxy';
import { findObject, synthAndValidate } from '../util';

function injector(props = {}) {
  const chart = Testing.chart();
  new IstioControlPlane(chart, 'istio', { crds: false, ...props });
  const cm = findObject(synthAndValidate(chart), 'ConfigMap', (props as any).revision ? `istio-sidecar-injector-${(props as any).revision}` : 'istio-sidecar-injector');
  return { cm, config: YAML.parse(cm.data.config), values: JSON.parse(cm.data.values) };
}

/** What istiod would pass for a `reviews-v1` Deployment pod with one app container on 9080. */
const POD_VALUES: Record<string, string> = {
  '.ProxyImage | quote': '"docker.io/istio/proxyv2:1.30.3"',
  '.ProxyInitImage | quote': '"docker.io/istio/proxyv2:1.30.3"',
  'index .ObjectMeta.Labels `security.istio.io/tlsMode` | default "istio" | quote': '"istio"',
  'index .ObjectMeta.Labels `service.istio.io/canonical-name` | default (index .ObjectMeta.Labels `app.kubernetes.io/name`) | default (index .ObjectMeta.Labels `app`) | default .DeploymentMeta.Name | trunc 63 | trimSuffix "-" | quote': '"reviews"',
  'index .ObjectMeta.Labels `service.istio.io/canonical-revision` | default (index .ObjectMeta.Labels `app.kubernetes.io/version`) | default (index .ObjectMeta.Labels `version`) | default "latest" | quote': '"v1"',
  '.Revision | default "default" | quote': '"default"',
  'index $containers 0 | quote': '"reviews"',
  'annotation .ObjectMeta `traffic.sidecar.istio.io/includeOutboundIPRanges` "*" | quote': '"*"',
  'annotation .ObjectMeta `traffic.sidecar.istio.io/excludeOutboundIPRanges` "" | quote': '""',
  'annotation .ObjectMeta `traffic.sidecar.istio.io/includeInboundPorts` "*" | quote': '"*"',
  'printf "15090,15021,%s" (excludeInboundPort "15020" (annotation .ObjectMeta `traffic.sidecar.istio.io/excludeInboundPorts` "")) | quote': '"15090,15021,15020"',
  'index .ObjectMeta.Labels `service.istio.io/workload-name` | default .DeploymentMeta.Name | quote': '"reviews-v1"',
  'printf "kubernetes://apis/%s/namespaces/%s/%ss/%s" .TypeMeta.APIVersion (valueOrDefault .DeploymentMeta.Namespace `default`) (toLower .TypeMeta.Kind) .DeploymentMeta.Name | quote': '"kubernetes://apis/apps/v1/namespaces/default/deployments/reviews-v1"',
  'protoToJSON .ProxyConfig | quote': '"{\\"discoveryAddress\\":\\"istiod.istio-system.svc:15012\\"}"',
  'printf "[%s]" ($podPorts | join ",") | quote': '"[{\\"containerPort\\":9080,\\"protocol\\":\\"TCP\\"}]"',
  '$containers | join "," | quote': '"reviews"',
};

function conditions(native: boolean, hold: boolean): Record<string, boolean> {
  return {
    'ge (len $containers) 1': true,
    'not (isset .ObjectMeta.Annotations `kubectl.kubernetes.io/default-logs-container`)': true,
    'not (isset .ObjectMeta.Annotations `kubectl.kubernetes.io/default-container`)': true,
    'not $nativeSidecar': !native,
    '$nativeSidecar': native,
    '$holdProxy': hold && !native,
  };
}

const proxyOptions = { image: 'x', caAddress: 'istiod.istio-system.svc:15012' };

describe('istio-sidecar-injector ConfigMap', () => {
  test('config parses as YAML with templates under config.templates; values parse as JSON', () => {
    const { config, values } = injector();
    expect(config.defaultTemplates).toEqual(['sidecar']);
    expect(config.policy).toBe('enabled');
    expect(Object.keys(config.templates)).toEqual(['sidecar', 'gateway']);
    expect(values.global).toMatchObject({ hub: 'docker.io/istio', tag: '1.30.3', istioNamespace: 'istio-system', proxy: { image: 'proxyv2' }, proxy_init: { image: 'proxyv2' } });
    expect(values.revision).toBe('');
  });

  test('every template action is balanced and only uses functions istiod provides', () => {
    const { config } = injector();
    const known = ['list', 'range', 'append', 'structToJSON', 'if', 'ne', 'index', 'default', 'quote', 'printf', 'trunc', 'trimSuffix',
      'isset', 'not', 'len', 'ge', 'and', 'end', 'annotation', 'excludeInboundPort', 'valueOrDefault', 'toLower', 'protoToJSON', 'join'];
    for (const t of Object.values<string>(config.templates)) {
      const opens = (t.match(/\{\{-?\s*(if|range) /g) ?? []).length;
      const ends = (t.match(/\{\{-?\s*end\s*-?\}\}/g) ?? []).length;
      expect(ends).toBe(opens);
      for (const m of t.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)) {
        for (const word of m[1].replace(/`[^`]*`|"[^"]*"/g, '').match(/(?<![.$\w])[a-zA-Z]\w*/g) ?? []) {
          expect(known).toContain(word);
        }
      }
    }
  });

  test.each([
    ['regular sidecar', false, false],
    ['hold application until proxy starts', false, true],
    ['native sidecar', true, true],
  ])('sidecar template renders to a pod patch (%s)', (_, native, hold) => {
    // GIVEN
    const { config } = injector();
    // WHEN
    const patch = YAML.parse(renderTemplate(config.templates.sidecar, { conditions: conditions(native, hold), values: POD_VALUES }));
    // THEN
    expect(patch.metadata.labels).toEqual({ 'security.istio.io/tlsMode': 'istio', 'service.istio.io/canonical-name': 'reviews', 'service.istio.io/canonical-revision': 'v1' });
    expect(patch.metadata.annotations).toEqual({ 'istio.io/rev': 'default', 'kubectl.kubernetes.io/default-logs-container': 'reviews', 'kubectl.kubernetes.io/default-container': 'reviews' });
    const proxy = native ? patch.spec.initContainers[1] : patch.spec.containers[0];
    expect(patch.spec.initContainers[0].name).toBe('istio-init');
    expect(patch.spec.initContainers[0].args).toEqual(['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT',
      '-i', '*', '-x', '', '-b', '*', '-d', '15090,15021,15020', '--log_output_level=default:info']);
    expect(proxy.name).toBe('istio-proxy');
    expect(proxy.image).toBe('docker.io/istio/proxyv2:1.30.3');
    expect(proxy.restartPolicy).toBe(native ? 'Always' : undefined);
    expect(proxy.lifecycle).toEqual(hold && !native ? { postStart: { exec: { command: ['pilot-agent', 'wait'] } } } : undefined);
    expect(patch.spec.containers).toEqual(native ? undefined : [proxy]);
    const env = Object.fromEntries(proxy.env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      CA_ADDR: 'istiod.istio-system.svc:15012',
      ISTIO_META_WORKLOAD_NAME: 'reviews-v1',
      ISTIO_META_OWNER: 'kubernetes://apis/apps/v1/namespaces/default/deployments/reviews-v1',
      PROXY_CONFIG: '{"discoveryAddress":"istiod.istio-system.svc:15012"}',
      ISTIO_META_POD_PORTS: '[{"containerPort":9080,"protocol":"TCP"}]',
      ISTIO_META_APP_CONTAINERS: 'reviews',
    });
  });

  test('the sidecar proxy container ports/probes/volumes are the Envoy spec\'s, the same the gateways use', () => {
    const { config } = injector();
    const patch = YAML.parse(renderTemplate(config.templates.sidecar, { conditions: conditions(false, false), values: POD_VALUES }));
    const proxy = patch.spec.containers[0];
    const sidecar = envoyManifestJson({ mode: 'sidecar', ...proxyOptions }).container;
    const router = envoyManifestJson({ mode: 'router', ...proxyOptions }).container;
    expect(proxy.ports).toEqual(sidecar.ports);
    expect(proxy.ports).toEqual(router.ports); // router without extra listener ports
    expect(proxy.readinessProbe).toEqual(sidecar.readinessProbe);
    expect(proxy.startupProbe).toEqual(sidecar.startupProbe);
    expect(proxy.securityContext).toEqual(router.securityContext);
    expect(proxy.volumeMounts).toEqual(router.volumeMounts);
    expect(proxy.args).toEqual(sidecar.args);
    expect(proxy.env.map((e: any) => e.name)).toEqual(expect.arrayContaining(envoyContainer({ mode: 'sidecar', ...proxyOptions }).env!.map((e) => e.name)));
    expect(patch.spec.volumes).toEqual(envoyManifestJson({ mode: 'router', ...proxyOptions }).volumes);
    expect(patch.spec.volumes.map((v: any) => v.name)).toEqual(envoyVolumes().map((v) => v.name));
  });

  test('the gateway template fills in the router container of the Envoy spec', () => {
    const { config } = injector();
    const patch = YAML.parse(renderTemplate(config.templates.gateway, { conditions: conditions(false, false), values: POD_VALUES }));
    const router = envoyManifestJson({ mode: 'router', ...proxyOptions }).container;
    const proxy = patch.spec.containers[0];
    expect(proxy.args).toEqual(router.args);
    expect(proxy.ports).toEqual(router.ports);
    expect(proxy.readinessProbe).toEqual(router.readinessProbe);
    expect(proxy.volumeMounts).toEqual(router.volumeMounts);
    expect(proxy.env.find((e: any) => e.name === 'ISTIO_META_UNPRIVILEGED_POD')).toEqual({ name: 'ISTIO_META_UNPRIVILEGED_POD', value: 'true' });
    expect(patch.spec.securityContext.sysctls).toEqual([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
    expect(patch.spec.initContainers).toBeUndefined();
  });

  test('a revisioned control plane points proxies at its own istiod', () => {
    const { config, values } = injector({ revision: '1-30' });
    const patch = YAML.parse(renderTemplate(config.templates.sidecar, { conditions: conditions(false, false), values: POD_VALUES }));
    expect(patch.spec.containers[0].env).toContainEqual({ name: 'CA_ADDR', value: 'istiod-1-30.istio-system.svc:15012' });
    expect(values.revision).toBe('1-30');
  });

  test('proxy resources come from proxyResources', () => {
    const { config } = injector({ proxyResources: { cpu: { request: kplus.Cpu.millis(50) }, memory: { request: Size.mebibytes(64) } } });
    const patch = YAML.parse(renderTemplate(config.templates.sidecar, { conditions: conditions(false, false), values: POD_VALUES }));
    expect(patch.spec.containers[0].resources).toEqual({ requests: { cpu: '50m', memory: '64Mi' } });
  });

  test('matches the snapshot', () => {
    expect(injector().cm).toMatchSnapshot();
  });
});
