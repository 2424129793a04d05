import * as fs from 'fs';
import * as path from 'path';
import { k8s } from 'cdk8s-plus-28';
import * as YAML from 'yaml';
import { EnvoyPorts } from '../../data-plane/envoy-proxy';

/**
 * The `istio-sidecar-injector` ConfigMap: injection policy, the templates
 * istiod renders into every injected pod, and the `values` those templates
 * read.
 *
 * The templates are Istio 1.30.3's own (`injection-template.yaml` as
 * `sidecar`, `gateway-injection-template.yaml` as `gateway`, and for istiod's
 * Gateway API deployment controller `waypoint` and `kube-gateway`), copied
 * unchanged into `assets/istio/injection/` at build time by
 * `scripts/copy-istio-templates.js`. What cdk8s-mesh decides (images, proxy
 * resources, log level, revision, ...) lives only in `values`, which has the
 * shape of the istiod chart's values and is computed from the control plane's
 * props in one place (`injectorValues`).
 *
 * Facts: ../shared/reference/istio-install.md §5, ../shared/istio/1.30.3/README.md.
 */
export interface InjectorInput {
  readonly istioNamespace: string;
  /** Revision name, or undefined for the default revision. */
  readonly revision?: string;
  readonly hub: string;
  readonly tag: string;
  readonly clusterDomain: string;
  readonly trustDomain: string;
  readonly clusterId: string;
  readonly proxyLogLevel: string;
  readonly holdApplicationUntilProxyStarts: boolean;
  readonly proxyResources: k8s.ResourceRequirements;
  /** Also ship the templates istiod's Gateway API deployment controller renders. */
  readonly gatewayApiTemplates: boolean;
}

/** Where the build copies the upstream templates (same relative path from src/ under ts-jest and lib/). */
export const TEMPLATE_DIR = path.join(__dirname, '..', '..', '..', 'assets', 'istio', 'injection');

const templateCache = new Map<string, string>();

/** One upstream template, as shipped in the package. */
export function upstreamTemplate(name: 'sidecar' | 'gateway' | 'waypoint' | 'kube-gateway'): string {
  const hit = templateCache.get(name);
  if (hit !== undefined) return hit;
  const file = path.join(TEMPLATE_DIR, `${name}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`cdk8s-mesh: the Istio injection template ${file} is missing from the package; ` +
      'build it with `npx projen copy:istio-templates` (or reinstall cdk8s-mesh)');
  }
  const text = fs.readFileSync(file, 'utf8');
  templateCache.set(name, text);
  return text;
}

/** The `config` key: injection policy and the upstream templates. */
export function injectorConfig(input: InjectorInput): string {
  const templates: Record<string, string> = {
    sidecar: upstreamTemplate('sidecar'),
    gateway: upstreamTemplate('gateway'),
  };
  if (input.gatewayApiTemplates) {
    templates.waypoint = upstreamTemplate('waypoint');
    templates['kube-gateway'] = upstreamTemplate('kube-gateway');
  }
  return YAML.stringify({
    defaultTemplates: ['sidecar'],
    policy: 'enabled',
    alwaysInjectSelector: [],
    neverInjectSelector: [],
    injectedAnnotations: {},
    // fails loudly on an istiod too old to read `templates`
    template: '{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}',
    templates,
  }, { lineWidth: 0 });
}

function quantities(r: Record<string, k8s.Quantity> | undefined): Record<string, string | number> | undefined {
  if (!r) return undefined;
  return Object.fromEntries(Object.entries(r).map(([k, q]) => [k, q.value]));
}

/**
 * The `values` key, in the shape of the istiod chart's values (what the
 * templates read as `.Values`, and what istiod resolves `image: auto` and
 * proxy images from). Keys and defaults follow Istio 1.30.3's chart; the
 * control plane's props fill in the rest.
 */
export function injectorValues(input: InjectorInput): string {
  const resources: Record<string, unknown> = {};
  const limits = quantities(input.proxyResources.limits);
  const requests = quantities(input.proxyResources.requests);
  if (limits) resources.limits = limits;
  if (requests) resources.requests = requests;
  const values = {
    // RuntimeDefault: the gateways and waypoints istiod deploys pass the restricted Pod Security Standard
    gateways: { seccompProfile: { type: 'RuntimeDefault' }, securityContext: {} },
    global: {
      caAddress: '', // empty: proxies use istiod[-<revision>].<istioNamespace>.svc:15012
      caName: '',
      configCluster: false,
      externalIstiod: false,
      hub: input.hub,
      imagePullPolicy: '',
      imagePullSecrets: [],
      istioNamespace: input.istioNamespace,
      logAsJson: false,
      logging: { level: 'default:info' },
      meshID: '',
      mountMtlsCerts: false,
      multiCluster: { clusterName: input.clusterId },
      nativeNftables: false,
      network: '',
      pilotCertProvider: 'istiod',
      proxy: {
        autoInject: 'enabled',
        clusterDomain: input.clusterDomain,
        componentLogLevel: 'misc:error',
        excludeIPRanges: '',
        excludeInboundPorts: '',
        excludeOutboundPorts: '',
        holdApplicationUntilProxyStarts: input.holdApplicationUntilProxyStarts,
        image: 'proxyv2',
        includeIPRanges: '*',
        includeInboundPorts: '*',
        includeOutboundPorts: '',
        logLevel: input.proxyLogLevel,
        outlierLogPath: '',
        privileged: false,
        readinessFailureThreshold: 4,
        readinessInitialDelaySeconds: 0,
        readinessPeriodSeconds: 15,
        resources,
        seccompProfile: {},
        startupProbe: { enabled: true, failureThreshold: 600 },
        statusPort: EnvoyPorts.AGENT,
        tracer: 'none',
      },
      proxy_init: { forceApplyIptables: false, image: 'proxyv2' },
      remotePilotAddress: '',
      sds: { token: { aud: 'istio-ca' } },
      sts: { servicePort: 0 },
      tag: input.tag,
      trustDomain: input.trustDomain,
      variant: '',
    },
    pilot: { cni: { enabled: false, provider: 'default' }, env: {} },
    revision: input.revision ?? '',
    sidecarInjectorWebhook: {
      alwaysInjectSelector: [],
      defaultTemplates: [],
      enableNamespacesByDefault: false,
      injectedAnnotations: {},
      neverInjectSelector: [],
      reinvocationPolicy: 'Never',
      rewriteAppHTTPProbe: true,
      templates: {},
    },
  };
  return JSON.stringify(values, undefined, 2);
}
