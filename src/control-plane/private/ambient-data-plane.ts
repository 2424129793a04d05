import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CNI_NAME, istioCni } from './istio-cni';
import { ZTUNNEL_NAME, ztunnel } from './ztunnel';
import { propError } from '../../private/errors';
import { toResourceRequirements } from '../../private/resources';
import { AmbientOptions } from '../ambient';

/**
 * What the ambient profile changes in an Istio install
 * (../shared/istio/1.30.3/profile-ambient.yaml): istiod serves ambient
 * (`PILOT_ENABLE_AMBIENT`) and signs certificates that ztunnel requests for
 * the pods of its node, every proxy speaks HBONE, and the two node agents
 * (istio-cni, ztunnel) are installed.
 */

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

/** Top-level mesh config fields of the ambient profile. */
export function ambientMeshConfig(): Record<string, unknown> {
  return {
    // services labelled istio.io/global=true are visible across clusters (multicluster ambient)
    serviceScopeConfigs: [{
      servicesSelector: { matchExpressions: [{ key: 'istio.io/global', operator: 'In', values: ['true'] }] },
      scope: 'GLOBAL',
    }],
  };
}

export interface AmbientDataPlaneInput {
  readonly namespace: string;
  readonly revision?: string;
  readonly hub: string;
  readonly tag: string;
  readonly clusterId: string;
  readonly istiodAddress: string;
  readonly options: AmbientOptions;
}

function resources(r: kplus.ContainerResources | undefined, cpu: string, memory: string): k8s.ResourceRequirements {
  if (r) return toResourceRequirements(r);
  return { requests: { cpu: k8s.Quantity.fromString(cpu), memory: k8s.Quantity.fromString(memory) } };
}

/** Emits istio-cni and ztunnel (with their ServiceAccounts, RBAC and config) under `scope`. */
/** Checks `AmbientOptions` (in the constructor, before anything is emitted). */
export function validateAmbientOptions(scope: Construct, options: AmbientOptions): void {
  const logLevel = options.ztunnelLogLevel ?? 'info';
  if (typeof logLevel !== 'string' || !/^[a-z]+(,[a-z_:=]+)*$/.test(logLevel)) {
    throw propError(scope, 'ambient.ztunnelLogLevel', 'must be a RUST_LOG level such as \'info\' or \'debug\'', logLevel, 'use \'info\', \'debug\', \'warn\' or \'error\'');
  }
}

export function ambientDataPlane(scope: Construct, input: AmbientDataPlaneInput): void {
  const logLevel = input.options.ztunnelLogLevel ?? 'info';
  const image = (name: string) => `${input.hub}/${name}:${input.tag}-${AMBIENT_VARIANT}`;
  istioCni(scope, {
    namespace: input.namespace,
    revision: input.revision,
    image: image('install-cni'),
    tag: input.tag,
    resources: resources(input.options.cniResources, '100m', '100Mi'),
  });
  ztunnel(scope, {
    namespace: input.namespace,
    revision: input.revision,
    image: image(ZTUNNEL_NAME),
    istiodAddress: input.istiodAddress,
    clusterId: input.clusterId,
    logLevel,
    resources: resources(input.options.ztunnelResources, '200m', '512Mi'),
    proxyMetadata: AMBIENT_PROXY_METADATA,
  });
}

export { CNI_NAME, ZTUNNEL_NAME };
