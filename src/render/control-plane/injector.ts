import * as YAML from 'yaml';
import { ControlPlaneModel, ResourcesModel } from '../../model/control-plane';
import { MeshSnapshot } from '../../model/snapshot';
import { EnvoyPorts } from '../proxy';

/**
 * The `istio-sidecar-injector` ConfigMap: injection policy, the templates
 * istiod renders into every injected pod, and the `values` those templates
 * read.
 *
 * The templates are Istio 1.30.3's own (`injection-template.yaml` as
 * `sidecar`, `gateway-injection-template.yaml` as `gateway`, and for istiod's
 * Gateway API deployment controller `waypoint` and `kube-gateway`), shipped
 * unchanged in the package. What cdk8s-mesh decides (images, proxy
 * resources, log level, revision, ...) lives only in `values`, which has the
 * shape of the istiod chart's values and is rendered from the control
 * plane's model in one place (`renderInjectorValues`).
 *
 * Facts: ../shared/reference/istio-install.md §5, ../shared/istio/1.30.3/README.md.
 */

/** The injection templates a control plane ships. */
export interface InjectionTemplates {
  readonly 'sidecar': string;
  readonly 'gateway': string;
  readonly 'waypoint'?: string;
  readonly 'kube-gateway'?: string;
}

/** Quantities as the istiod chart's values spell them. */
type ValueResources = { readonly limits?: Readonly<Record<string, string>>; readonly requests?: Readonly<Record<string, string>> };

/** `global.proxy` of the istiod chart's values (what every injected proxy runs with). */
export interface ProxyValues {
  readonly autoInject: string;
  readonly clusterDomain: string;
  readonly componentLogLevel: string;
  readonly excludeIPRanges: string;
  readonly excludeInboundPorts: string;
  readonly excludeOutboundPorts: string;
  readonly holdApplicationUntilProxyStarts: boolean;
  readonly image: string;
  readonly includeIPRanges: string;
  readonly includeInboundPorts: string;
  readonly includeOutboundPorts: string;
  readonly logLevel: string;
  readonly outlierLogPath: string;
  readonly privileged: boolean;
  readonly readinessFailureThreshold: number;
  readonly readinessInitialDelaySeconds: number;
  readonly readinessPeriodSeconds: number;
  readonly resources: ValueResources;
  readonly seccompProfile: Readonly<Record<string, never>>;
  readonly startupProbe: { readonly enabled: boolean; readonly failureThreshold: number };
  readonly statusPort: number;
  readonly tracer: string;
}

/** `global` of the istiod chart's values. */
export interface GlobalValues {
  readonly caAddress: string;
  readonly caName: string;
  readonly configCluster: boolean;
  readonly externalIstiod: boolean;
  readonly hub: string;
  readonly imagePullPolicy: string;
  readonly imagePullSecrets: readonly string[];
  readonly istioNamespace: string;
  readonly logAsJson: boolean;
  readonly logging: { readonly level: string };
  readonly meshID: string;
  readonly mountMtlsCerts: boolean;
  readonly multiCluster: { readonly clusterName: string };
  readonly nativeNftables: boolean;
  readonly network: string;
  readonly pilotCertProvider: string;
  readonly proxy: ProxyValues;
  readonly proxy_init: { readonly forceApplyIptables: boolean; readonly image: string };
  readonly remotePilotAddress: string;
  readonly sds: { readonly token: { readonly aud: string } };
  readonly sts: { readonly servicePort: number };
  readonly tag: string;
  readonly trustDomain: string;
  readonly variant: string;
}

/** The `values` key of the injector ConfigMap: the istiod chart's values the templates read as `.Values`. */
export interface InjectorValues {
  readonly gateways: { readonly seccompProfile: { readonly type: 'RuntimeDefault' }; readonly securityContext: Readonly<Record<string, never>> };
  readonly global: GlobalValues;
  readonly pilot: { readonly cni: { readonly enabled: boolean; readonly provider: string }; readonly env: Readonly<Record<string, string>> };
  readonly revision: string;
  readonly sidecarInjectorWebhook: {
    readonly alwaysInjectSelector: readonly unknown[];
    readonly defaultTemplates: readonly string[];
    readonly enableNamespacesByDefault: boolean;
    readonly injectedAnnotations: Readonly<Record<string, string>>;
    readonly neverInjectSelector: readonly unknown[];
    readonly reinvocationPolicy: string;
    readonly rewriteAppHTTPProbe: boolean;
    readonly templates: Readonly<Record<string, string>>;
  };
}

/** The `config` key: injection policy and the upstream templates. */
export function renderInjectorConfig(templates: InjectionTemplates): string {
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

function valueResources(r: ResourcesModel): ValueResources {
  return {
    ...(r.limits && Object.keys(r.limits).length ? { limits: { ...r.limits } as Record<string, string> } : {}),
    ...(r.requests && Object.keys(r.requests).length ? { requests: { ...r.requests } as Record<string, string> } : {}),
  };
}

function proxyValues(snapshot: MeshSnapshot, cp: ControlPlaneModel): ProxyValues {
  return {
    autoInject: 'enabled',
    clusterDomain: snapshot.clusterDomain,
    componentLogLevel: 'misc:error',
    excludeIPRanges: '',
    excludeInboundPorts: '',
    excludeOutboundPorts: '',
    holdApplicationUntilProxyStarts: cp.holdApplicationUntilProxyStarts,
    image: 'proxyv2',
    includeIPRanges: '*',
    includeInboundPorts: '*',
    includeOutboundPorts: '',
    logLevel: 'warning',
    outlierLogPath: '',
    privileged: false,
    readinessFailureThreshold: 4,
    readinessInitialDelaySeconds: 0,
    readinessPeriodSeconds: 15,
    resources: valueResources(cp.proxyResources),
    seccompProfile: {},
    startupProbe: { enabled: true, failureThreshold: 600 },
    statusPort: EnvoyPorts.AGENT,
    tracer: 'none',
  };
}

/**
 * The `values` key, in the shape of the istiod chart's values (what the
 * templates read as `.Values`, and what istiod resolves `image: auto` and
 * proxy images from). Keys and defaults follow Istio 1.30.3's chart; the
 * control plane's model fills in the rest, and the trust domain is the
 * mesh's.
 */
export function renderInjectorValues(snapshot: MeshSnapshot, cp: ControlPlaneModel): InjectorValues {
  return {
    // RuntimeDefault: the gateways and waypoints istiod deploys pass the restricted Pod Security Standard
    gateways: { seccompProfile: { type: 'RuntimeDefault' }, securityContext: {} },
    global: {
      caAddress: '', // empty: proxies use istiod[-<revision>].<istioNamespace>.svc:15012
      caName: '',
      configCluster: false,
      externalIstiod: false,
      hub: cp.hub,
      imagePullPolicy: '',
      imagePullSecrets: [],
      istioNamespace: cp.namespace,
      logAsJson: false,
      logging: { level: 'default:info' },
      meshID: '',
      mountMtlsCerts: false,
      multiCluster: { clusterName: cp.clusterId },
      nativeNftables: false,
      network: '',
      pilotCertProvider: 'istiod',
      proxy: proxyValues(snapshot, cp),
      proxy_init: { forceApplyIptables: false, image: 'proxyv2' },
      remotePilotAddress: '',
      sds: { token: { aud: 'istio-ca' } },
      sts: { servicePort: 0 },
      tag: cp.tag,
      trustDomain: snapshot.mesh.trustDomain,
      variant: '',
    },
    pilot: { cni: { enabled: false, provider: 'default' }, env: {} },
    revision: cp.revision ?? '',
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
}
