import { k8s } from 'cdk8s-plus-28';
import * as YAML from 'yaml';
import { GoTemplate } from './go-template';
import { EnvoyPorts, EnvoyProxyOptions, envoyInitManifestJson, envoyManifestJson } from '../../data-plane/envoy-proxy';

/**
 * The `istio-sidecar-injector` ConfigMap: injection policy plus the templates
 * istiod evaluates (Go templates with Sprig and Istio helpers) to produce the
 * patch it merges into each pod. The static parts of every proxy container
 * come from the project's one Envoy proxy spec (`data-plane/envoy-proxy.ts`);
 * only pod-specific values are Go template actions.
 *
 * Facts: ../shared/reference/istio-install.md §5.
 */
export interface InjectorInput {
  readonly istioNamespace: string;
  /** Revision name, or undefined for the default revision. */
  readonly revision?: string;
  readonly hub: string;
  readonly tag: string;
  readonly caAddress: string;
  readonly clusterDomain: string;
  readonly trustDomain: string;
  readonly clusterId: string;
  readonly proxyLogLevel: string;
  readonly holdApplicationUntilProxyStarts: boolean;
  readonly proxyResources?: k8s.ResourceRequirements;
}

/** Go actions for values that differ per pod (shared by both templates). */
function podSpecific(t: GoTemplate) {
  return {
    image: t.expr('{{ .ProxyImage | quote }}'),
    initImage: t.expr('{{ .ProxyInitImage | quote }}'),
    workloadName: t.expr('{{ index .ObjectMeta.Labels `service.istio.io/workload-name` | default .DeploymentMeta.Name | quote }}'),
    owner: t.expr('{{ printf "kubernetes://apis/%s/namespaces/%s/%ss/%s" .TypeMeta.APIVersion (valueOrDefault .DeploymentMeta.Namespace `default`) (toLower .TypeMeta.Kind) .DeploymentMeta.Name | quote }}'),
    proxyConfig: t.expr('{{ protoToJSON .ProxyConfig | quote }}'),
    podPorts: t.expr('{{ printf "[%s]" ($podPorts | join ",") | quote }}'),
    appContainers: t.expr('{{ $containers | join "," | quote }}'),
  };
}

/** Template preamble: the app containers and their ports. */
const PREAMBLE = [
  '{{- $containers := list }}',
  '{{- $podPorts := list }}',
  '{{- range $c := .Spec.Containers }}{{ if ne $c.Name "istio-proxy" }}{{ $containers = append $containers $c.Name }}{{ range $p := $c.Ports }}{{ $podPorts = append $podPorts (structToJSON $p) }}{{ end }}{{ end }}{{ end }}',
];

function metadata(t: GoTemplate, sidecar: boolean): void {
  t.raw('metadata:', '  labels:');
  if (sidecar) t.raw(`    security.istio.io/tlsMode: ${t.expr('{{ index .ObjectMeta.Labels `security.istio.io/tlsMode` | default "istio" | quote }}')}`);
  t.raw(
    `    service.istio.io/canonical-name: ${t.expr('{{ index .ObjectMeta.Labels `service.istio.io/canonical-name` | default (index .ObjectMeta.Labels `app.kubernetes.io/name`) | default (index .ObjectMeta.Labels `app`) | default .DeploymentMeta.Name | trunc 63 | trimSuffix "-" | quote }}')}`,
    `    service.istio.io/canonical-revision: ${t.expr('{{ index .ObjectMeta.Labels `service.istio.io/canonical-revision` | default (index .ObjectMeta.Labels `app.kubernetes.io/version`) | default (index .ObjectMeta.Labels `version`) | default "latest" | quote }}')}`,
    '  annotations:',
    `    istio.io/rev: ${t.expr('{{ .Revision | default "default" | quote }}')}`,
    '    {{- if ge (len $containers) 1 }}',
    '    {{- if not (isset .ObjectMeta.Annotations `kubectl.kubernetes.io/default-logs-container`) }}',
    `    kubectl.kubernetes.io/default-logs-container: ${t.expr('{{ index $containers 0 | quote }}')}`,
    '    {{- end }}',
    '    {{- if not (isset .ObjectMeta.Annotations `kubectl.kubernetes.io/default-container`) }}',
    `    kubectl.kubernetes.io/default-container: ${t.expr('{{ index $containers 0 | quote }}')}`,
    '    {{- end }}',
    '    {{- end }}',
  );
}

function proxyOptions(input: InjectorInput, mode: 'sidecar' | 'router', go: ReturnType<typeof podSpecific>): EnvoyProxyOptions {
  const extraEnv: k8s.EnvVar[] = [
    { name: 'PROXY_CONFIG', value: go.proxyConfig },
    { name: 'ISTIO_META_POD_PORTS', value: go.podPorts },
    { name: 'ISTIO_META_APP_CONTAINERS', value: go.appContainers },
  ];
  if (mode === 'sidecar') extraEnv.push({ name: 'ISTIO_META_INTERCEPTION_MODE', value: 'REDIRECT' });
  return {
    mode,
    image: go.image,
    caAddress: input.caAddress,
    clusterDomain: input.clusterDomain,
    trustDomain: input.trustDomain,
    clusterId: input.clusterId,
    workloadName: go.workloadName,
    owner: go.owner,
    proxyLogLevel: input.proxyLogLevel,
    resources: input.proxyResources,
    extraEnv,
  };
}

/** The `sidecar` template: iptables init container, `istio-proxy`, proxy volumes. */
export function sidecarTemplate(input: InjectorInput): string {
  const t = new GoTemplate();
  const go = podSpecific(t);
  const { container, volumes } = envoyManifestJson(proxyOptions(input, 'sidecar', go));
  const init = envoyInitManifestJson({
    image: go.initImage,
    includeOutboundIpRanges: t.expr('{{ annotation .ObjectMeta `traffic.sidecar.istio.io/includeOutboundIPRanges` "*" | quote }}'),
    excludeOutboundIpRanges: t.expr('{{ annotation .ObjectMeta `traffic.sidecar.istio.io/excludeOutboundIPRanges` "" | quote }}'),
    includeInboundPorts: t.expr('{{ annotation .ObjectMeta `traffic.sidecar.istio.io/includeInboundPorts` "*" | quote }}'),
    excludeInboundPorts: t.expr(`{{ printf "${EnvoyPorts.PROMETHEUS},${EnvoyPorts.STATUS},%s" (excludeInboundPort "${EnvoyPorts.AGENT}" (annotation .ObjectMeta \`traffic.sidecar.istio.io/excludeInboundPorts\` "")) | quote }}`),
    resources: input.proxyResources,
  });
  t.raw(
    // Native sidecars (Kubernetes >= 1.29 with the feature on, auto-enabled by istiod on >= 1.33 nodes)
    '{{- $nativeSidecar := ne (index .ObjectMeta.Annotations `sidecar.istio.io/nativeSidecar` | default (printf "%t" .NativeSidecars)) "false" }}',
    '{{- $holdProxy := and .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue (not $nativeSidecar) }}',
    ...PREAMBLE,
  );
  metadata(t, true);
  t.raw('spec:', '  initContainers:');
  t.item(init, 2);
  t.raw('  {{- if not $nativeSidecar }}', '  containers:', '  {{- end }}');
  t.item(container, 2);
  t.raw(
    '    {{- if $nativeSidecar }}',
    '    restartPolicy: Always',
    '    {{- end }}',
    '    {{- if $holdProxy }}',
    '    lifecycle:',
    '      postStart:',
    '        exec:',
    '          command:',
    '          - pilot-agent',
    '          - wait',
    '    {{- end }}',
    '  volumes:',
  );
  t.yaml(volumes, 2);
  return t.toString();
}

/** The `gateway` template: fills in `istio-proxy` of injection-based gateway pods (`image: auto`). */
export function gatewayTemplate(input: InjectorInput): string {
  const t = new GoTemplate();
  const go = podSpecific(t);
  const { container, volumes } = envoyManifestJson(proxyOptions(input, 'router', go));
  t.raw(...PREAMBLE);
  metadata(t, false);
  t.raw(
    'spec:',
    '  securityContext:',
    '    sysctls:',
    '    - name: net.ipv4.ip_unprivileged_port_start',
    '      value: "0"',
    '  containers:',
  );
  t.item(container, 2);
  t.raw('  volumes:');
  t.yaml(volumes, 2);
  return t.toString();
}

/** The `config` key: injection policy and templates. */
export function injectorConfig(input: InjectorInput): string {
  return YAML.stringify({
    defaultTemplates: ['sidecar'],
    policy: 'enabled',
    alwaysInjectSelector: [],
    neverInjectSelector: [],
    injectedAnnotations: {},
    // fails loudly on an istiod too old to read `templates`
    template: '{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}',
    templates: {
      sidecar: sidecarTemplate(input),
      gateway: gatewayTemplate(input),
    },
  }, { lineWidth: 0 });
}

/** The `values` key: the values the templates and istiod's injector read (`.Values`, image resolution). */
export function injectorValues(input: InjectorInput): string {
  const values = {
    global: {
      hub: input.hub,
      tag: input.tag,
      variant: '',
      istioNamespace: input.istioNamespace,
      pilotCertProvider: 'istiod',
      caAddress: input.caAddress,
      multiCluster: { clusterName: input.clusterId },
      logging: { level: 'default:info' },
      proxy: {
        image: 'proxyv2',
        clusterDomain: input.clusterDomain,
        logLevel: input.proxyLogLevel,
        componentLogLevel: 'misc:error',
        statusPort: EnvoyPorts.AGENT,
        holdApplicationUntilProxyStarts: input.holdApplicationUntilProxyStarts,
        privileged: false,
        includeIPRanges: '*',
        excludeIPRanges: '',
        includeInboundPorts: '*',
        excludeInboundPorts: '',
      },
      proxy_init: { image: 'proxyv2' },
      sds: { token: { aud: 'istio-ca' } },
    },
    revision: input.revision ?? '',
    pilot: { cni: { enabled: false } },
    sidecarInjectorWebhook: { rewriteAppHTTPProbe: true },
  };
  return JSON.stringify(values, undefined, 2);
}
