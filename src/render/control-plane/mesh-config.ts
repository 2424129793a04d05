import * as YAML from 'yaml';
import { AMBIENT_PROXY_METADATA, AMBIENT_SERVICE_SCOPES, ServiceScopeConfig } from './ambient';
import { ControlPlaneModel, ExtensionProviderEntry } from '../../model/control-plane';
import { MeshSnapshot } from '../../model/snapshot';

/**
 * The mesh config (`mesh` key of the `istio` ConfigMap istiod reads), typed
 * after the fields cdk8s-mesh sets.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/
 */
export interface MeshConfig {
  readonly defaultConfig: ProxyConfig;
  readonly defaultProviders: DefaultProviders;
  readonly enablePrometheusMerge: boolean;
  readonly rootNamespace: string;
  readonly trustDomain: string;
  readonly outboundTrafficPolicy: { readonly mode: 'REGISTRY_ONLY' | 'ALLOW_ANY' };
  /** Ambient: services labelled `istio.io/global=true` are visible across clusters. */
  readonly serviceScopeConfigs?: readonly ServiceScopeConfig[];
  readonly extensionProviders?: readonly ExtensionProviderEntry[];
}

/** `defaultConfig`: the proxy settings every proxy starts with. */
export interface ProxyConfig {
  readonly discoveryAddress: string;
  readonly holdApplicationUntilProxyStarts: boolean;
  readonly terminationDrainDuration: string;
  readonly concurrency?: number;
  readonly proxyMetadata?: Readonly<Record<string, string>>;
}

/** `defaultProviders`: the extension providers Telemetry uses when it names none. */
export interface DefaultProviders {
  readonly metrics: readonly string[];
  readonly tracing?: readonly string[];
  readonly accessLogging?: readonly string[];
}

function proxyConfig(cp: ControlPlaneModel): ProxyConfig {
  return {
    discoveryAddress: cp.istiodAddress,
    holdApplicationUntilProxyStarts: cp.holdApplicationUntilProxyStarts,
    terminationDrainDuration: `${cp.terminationDrainSeconds}s`,
    ...(cp.proxyConcurrency !== undefined ? { concurrency: cp.proxyConcurrency } : {}),
    ...(cp.dataPlane === 'ambient' ? { proxyMetadata: { ...AMBIENT_PROXY_METADATA } } : {}),
  };
}

/**
 * The mesh config of one control plane: its proxy defaults, default
 * providers, root namespace and outbound policy, the mesh's trust domain,
 * and every extension provider the app declares.
 */
export function renderMeshConfig(snapshot: MeshSnapshot, cp: ControlPlaneModel): MeshConfig {
  return {
    defaultConfig: proxyConfig(cp),
    defaultProviders: {
      metrics: ['prometheus'],
      ...(cp.defaultTracingProvider ? { tracing: [cp.defaultTracingProvider] } : {}),
      ...(cp.accessLog ? { accessLogging: [cp.accessLog.provider] } : {}),
    },
    enablePrometheusMerge: true,
    rootNamespace: cp.rootNamespace,
    trustDomain: snapshot.mesh.trustDomain,
    outboundTrafficPolicy: { mode: cp.outboundTrafficPolicy },
    ...(cp.dataPlane === 'ambient' ? { serviceScopeConfigs: AMBIENT_SERVICE_SCOPES } : {}),
    ...(snapshot.extensionProviders.length ? { extensionProviders: snapshot.extensionProviders.map((e) => e.entry) } : {}),
  };
}

/** The mesh config as the ConfigMap carries it (YAML). */
export function renderMeshConfigYaml(snapshot: MeshSnapshot, cp: ControlPlaneModel): string {
  return YAML.stringify(renderMeshConfig(snapshot, cp), { lineWidth: 0 });
}
