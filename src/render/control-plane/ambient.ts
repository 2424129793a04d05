import { k8s } from 'cdk8s-plus-28';

/**
 * What the ambient profile changes in an Istio install
 * (../shared/istio/1.30.3/profile-ambient.yaml): istiod serves ambient
 * (`PILOT_ENABLE_AMBIENT`) and signs certificates that ztunnel requests for
 * the pods of its node, every proxy speaks HBONE, and the two node agents
 * (istio-cni, ztunnel; `./istio-cni.ts`, `./ztunnel.ts`) are installed.
 */

/** Name of ztunnel's DaemonSet and ServiceAccount. */
export const ZTUNNEL_NAME = 'ztunnel';

/** Image variant the ambient profile sets (`global.variant`), applied to the node agents. */
export const AMBIENT_VARIANT = 'distroless';

/** istiod env entries of the ambient profile. */
export function ambientIstiodEnv(namespace: string): k8s.EnvVar[] {
  return [
    // ztunnel asks istiod for the certificates of the pods on its node
    { name: 'CA_TRUSTED_NODE_ACCOUNTS', value: `${namespace}/${ZTUNNEL_NAME}` },
    { name: 'PILOT_ENABLE_AMBIENT', value: 'true' },
  ];
}

/** `defaultConfig.proxyMetadata` of the ambient profile: sidecars and waypoints speak HBONE. */
export const AMBIENT_PROXY_METADATA: Readonly<Record<string, string>> = { ISTIO_META_ENABLE_HBONE: 'true' };

/** A mesh config `serviceScopeConfigs` entry. */
export interface ServiceScopeConfig {
  readonly servicesSelector: {
    readonly matchExpressions: readonly { readonly key: string; readonly operator: string; readonly values: readonly string[] }[];
  };
  readonly scope: 'GLOBAL' | 'LOCAL';
}

/** The ambient profile's `serviceScopeConfigs`: services labelled `istio.io/global=true` are visible across clusters. */
export const AMBIENT_SERVICE_SCOPES: readonly ServiceScopeConfig[] = [{
  servicesSelector: { matchExpressions: [{ key: 'istio.io/global', operator: 'In', values: ['true'] }] },
  scope: 'GLOBAL',
}];

/** Image of a node agent (`<hub>/<name>:<tag>-distroless`). */
export function nodeAgentImage(hub: string, tag: string, name: string): string {
  return `${hub}/${name}:${tag}-${AMBIENT_VARIANT}`;
}

/** Tolerate every taint: a node without the agent cannot run ambient pods. */
export function nodeAgentTolerations(): k8s.Toleration[] {
  return [
    { effect: 'NoSchedule', operator: 'Exists' },
    { key: 'CriticalAddonsOnly', operator: 'Exists' },
    { effect: 'NoExecute', operator: 'Exists' },
  ];
}
