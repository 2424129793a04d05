import { k8s } from 'cdk8s-plus-28';

/**
 * THE Envoy proxy specification of cdk8s-mesh: the one place that says how the
 * `istio-proxy` container looks, wherever Envoy runs — the sidecar template
 * istiod's injector applies, gateway Deployments, and explicit synth-time
 * injection. Do not write any of this a second time; extend it here.
 *
 * Output is typed Kubernetes L1 data (cdk8s-plus-28 `k8s.*` structs). To get
 * plain JSON (e.g. for the injector template), wrap it with
 * `k8s.KubePod.manifest({ spec: { containers: [container], volumes } })`.
 *
 * Facts: ../shared/reference/istio-install.md §3.4, §3.5 and §5.
 */

/** Where this Envoy runs. */
export type EnvoyMode = 'sidecar' | 'router';

/** UID/GID the proxy runs as (its traffic is excluded from iptables capture). */
export const PROXY_UID = 1337;

/** Well-known ports of an Envoy proxy in Istio. */
export const EnvoyPorts = {
  /** Envoy admin (localhost only). */
  ADMIN: 15000,
  /** Outbound traffic capture. */
  OUTBOUND: 15001,
  /** Inbound traffic capture. */
  INBOUND: 15006,
  /** pilot-agent: merged Prometheus stats, app probe rewriting. */
  AGENT: 15020,
  /** Health (`/healthz/ready`). */
  STATUS: 15021,
  /** Envoy Prometheus stats (`/stats/prometheus`). */
  PROMETHEUS: 15090,
  /** istiod xDS + CA over mTLS. */
  XDS_MTLS: 15012,
} as const;

/** Inputs of the proxy specification. Strings may be literal values or, for the injector, Go template expressions. */
export interface EnvoyProxyOptions {
  readonly mode: EnvoyMode;
  /** Full image reference, e.g. `docker.io/istio/proxyv2:1.30.3` (or `auto` for injection-based pods). */
  readonly image: string;
  /** istiod's CA/xDS address, e.g. `istiod.istio-system.svc:15012` (revisioned: `istiod-<rev>...`). */
  readonly caAddress: string;
  /** Kubernetes cluster DNS domain. @default cluster.local */
  readonly clusterDomain?: string;
  /** SPIFFE trust domain. @default cluster.local */
  readonly trustDomain?: string;
  /** Mesh id. @default - the trust domain */
  readonly meshId?: string;
  /** Cluster id. @default Kubernetes */
  readonly clusterId?: string;
  /** `ISTIO_META_WORKLOAD_NAME` (gateways: the Deployment name; sidecars: a template expression). */
  readonly workloadName?: string;
  /** `ISTIO_META_OWNER` (gateways: `kubernetes://apis/apps/v1/namespaces/<ns>/deployments/<name>`). */
  readonly owner?: string;
  /** Extra container ports the router listens on (e.g. 8080, 8443, 15021 as `status-port`). */
  readonly routerPorts?: readonly k8s.ContainerPort[];
  /** Envoy log level. @default warning */
  readonly proxyLogLevel?: string;
  /** Compute resources. @default requests 100m/128Mi, limits 2000m/1024Mi */
  readonly resources?: k8s.ResourceRequirements;
  /** Extra env entries appended after the standard ones (e.g. sidecar-only ISTIO_META_* entries). */
  readonly extraEnv?: readonly k8s.EnvVar[];
}

function fieldRef(name: string, fieldPath: string): k8s.EnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } };
}

function resourceRef(name: string, resource: string): k8s.EnvVar {
  return { name, valueFrom: { resourceFieldRef: { resource, divisor: k8s.Quantity.fromString('1') } } };
}

/** The standard environment of an Istio proxy, in upstream order. */
export function envoyEnv(o: EnvoyProxyOptions): k8s.EnvVar[] {
  const trustDomain = o.trustDomain ?? 'cluster.local';
  const env: k8s.EnvVar[] = [
    { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
    { name: 'CA_ADDR', value: o.caAddress },
    fieldRef('NODE_NAME', 'spec.nodeName'),
    fieldRef('POD_NAME', 'metadata.name'),
    fieldRef('POD_NAMESPACE', 'metadata.namespace'),
    fieldRef('INSTANCE_IP', 'status.podIP'),
    fieldRef('HOST_IP', 'status.hostIP'),
    fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    resourceRef('ISTIO_CPU_LIMIT', 'limits.cpu'),
    resourceRef('GOMEMLIMIT', 'limits.memory'),
    resourceRef('GOMAXPROCS', 'limits.cpu'),
  ];
  if (o.workloadName !== undefined) env.push({ name: 'ISTIO_META_WORKLOAD_NAME', value: o.workloadName });
  if (o.owner !== undefined) env.push({ name: 'ISTIO_META_OWNER', value: o.owner });
  env.push(
    { name: 'ISTIO_META_MESH_ID', value: o.meshId ?? trustDomain },
    { name: 'TRUST_DOMAIN', value: trustDomain },
  );
  if (o.mode === 'router') env.push({ name: 'ISTIO_META_UNPRIVILEGED_POD', value: 'true' });
  env.push(
    { name: 'ISTIO_META_CLUSTER_ID', value: o.clusterId ?? 'Kubernetes' },
    fieldRef('ISTIO_META_NODE_NAME', 'spec.nodeName'),
  );
  env.push(...(o.extraEnv ?? []));
  return env;
}

/** Volumes every Istio proxy mounts (names are what istiod and the agent expect). */
export function envoyVolumes(): k8s.Volume[] {
  return [
    { name: 'workload-socket', emptyDir: {} },
    { name: 'credential-socket', emptyDir: {} },
    { name: 'workload-certs', emptyDir: {} },
    { name: 'istio-envoy', emptyDir: { medium: 'Memory' } },
    { name: 'istio-data', emptyDir: {} },
    {
      name: 'podinfo',
      downwardApi: {
        items: [
          { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
          { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
        ],
      },
    },
    {
      name: 'istio-token',
      projected: {
        sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }],
      },
    },
    { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
    { name: 'config-volume', configMap: { name: 'istio', optional: true } },
  ];
}

/** Mounts of the volumes above into the proxy container. */
export function envoyVolumeMounts(): k8s.VolumeMount[] {
  return [
    { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
    { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
    { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
    { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
    { name: 'istio-data', mountPath: '/var/lib/istio/data' },
    { name: 'podinfo', mountPath: '/etc/istio/pod' },
    { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
    { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio', readOnly: true },
    { name: 'config-volume', mountPath: '/etc/istio/config', readOnly: true },
  ];
}

/** Readiness on the status port, as the agent serves it. */
export function envoyReadinessProbe(mode: EnvoyMode): k8s.Probe {
  return mode === 'router'
    ? { httpGet: { path: '/healthz/ready', port: k8s.IntOrString.fromNumber(EnvoyPorts.STATUS), scheme: 'HTTP' }, initialDelaySeconds: 1, periodSeconds: 2, failureThreshold: 30, successThreshold: 1, timeoutSeconds: 1 }
    : { httpGet: { path: '/healthz/ready', port: k8s.IntOrString.fromNumber(EnvoyPorts.STATUS) }, initialDelaySeconds: 0, periodSeconds: 15, failureThreshold: 4, timeoutSeconds: 3 };
}

/** Startup probe of sidecars (holds app readiness until Envoy has config). */
export function envoyStartupProbe(): k8s.Probe {
  return { httpGet: { path: '/healthz/ready', port: k8s.IntOrString.fromNumber(EnvoyPorts.STATUS) }, initialDelaySeconds: 0, periodSeconds: 1, failureThreshold: 600, timeoutSeconds: 3 };
}

/** Container security context: unprivileged, read-only root, no capabilities, UID/GID 1337. */
export function envoySecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: PROXY_UID,
    runAsGroup: PROXY_UID,
    capabilities: { drop: ['ALL'] },
  };
}

/** Pod security context for pods whose only container is Envoy (gateways). */
export function envoyPodSecurityContext(): k8s.PodSecurityContext {
  return { runAsUser: PROXY_UID, runAsGroup: PROXY_UID, runAsNonRoot: true, fsGroup: PROXY_UID, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Default proxy resources (upstream chart defaults). */
export function envoyDefaultResources(): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') },
    limits: { cpu: k8s.Quantity.fromString('2000m'), memory: k8s.Quantity.fromString('1024Mi') },
  };
}

/** The `istio-proxy` container. */
export function envoyContainer(o: EnvoyProxyOptions): k8s.Container {
  const clusterDomain = o.clusterDomain ?? 'cluster.local';
  const ports: k8s.ContainerPort[] = [
    ...(o.mode === 'router' ? o.routerPorts ?? [] : []),
    { containerPort: EnvoyPorts.PROMETHEUS, name: 'http-envoy-prom', protocol: 'TCP' },
  ];
  return {
    name: 'istio-proxy',
    image: o.image,
    args: [
      'proxy',
      o.mode,
      '--domain',
      `$(POD_NAMESPACE).svc.${clusterDomain}`,
      `--proxyLogLevel=${o.proxyLogLevel ?? 'warning'}`,
      '--proxyComponentLogLevel=misc:error',
      '--log_output_level=default:info',
    ],
    ports,
    env: envoyEnv(o),
    readinessProbe: envoyReadinessProbe(o.mode),
    startupProbe: o.mode === 'sidecar' ? envoyStartupProbe() : undefined,
    resources: o.resources ?? envoyDefaultResources(),
    securityContext: envoySecurityContext(),
    volumeMounts: envoyVolumeMounts(),
  };
}

/** Plain JSON of a container and volumes (as they appear in a manifest). */
export function envoyManifestJson(o: EnvoyProxyOptions): { container: any; volumes: any[] } {
  const pod = k8s.KubePod.manifest({ spec: { containers: [envoyContainer(o)], volumes: envoyVolumes() } });
  return { container: pod.spec.containers[0], volumes: pod.spec.volumes };
}

/** Inputs of the traffic-capture init container. Strings may be Go template expressions (injector). */
export interface EnvoyInitOptions {
  /** Full image reference (the proxyv2 image). */
  readonly image: string;
  /** `-i`: outbound IP ranges to capture. @default * */
  readonly includeOutboundIpRanges?: string;
  /** `-x`: outbound IP ranges not to capture. @default - none */
  readonly excludeOutboundIpRanges?: string;
  /** `-b`: inbound ports to capture. @default * */
  readonly includeInboundPorts?: string;
  /** `-d`: inbound ports not to capture. @default 15090,15021,15020 */
  readonly excludeInboundPorts?: string;
  /** Compute resources. @default - the proxy defaults */
  readonly resources?: k8s.ResourceRequirements;
}

/**
 * The `istio-init` container of injected pods: programs iptables so the pod's
 * traffic goes through Envoy (outbound to 15001, inbound to 15006), except the
 * proxy's own traffic (UID 1337). It needs NET_ADMIN/NET_RAW and root, which is
 * why it is an init container that exits before the application starts.
 */
export function envoyInitContainer(o: EnvoyInitOptions): k8s.Container {
  return {
    name: 'istio-init',
    image: o.image,
    args: [
      'istio-iptables',
      '-p', String(EnvoyPorts.OUTBOUND),
      '-z', String(EnvoyPorts.INBOUND),
      '-u', String(PROXY_UID),
      '-m', 'REDIRECT',
      '-i', o.includeOutboundIpRanges ?? '*',
      '-x', o.excludeOutboundIpRanges ?? '',
      '-b', o.includeInboundPorts ?? '*',
      '-d', o.excludeInboundPorts ?? `${EnvoyPorts.PROMETHEUS},${EnvoyPorts.STATUS},${EnvoyPorts.AGENT}`,
      '--log_output_level=default:info',
    ],
    resources: o.resources ?? envoyDefaultResources(),
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  };
}

/** Plain JSON of the init container (as it appears in a manifest). */
export function envoyInitManifestJson(o: EnvoyInitOptions): any {
  return k8s.KubePod.manifest({ spec: { containers: [], initContainers: [envoyInitContainer(o)] } }).spec.initContainers[0];
}
