import { k8s } from 'cdk8s-plus-28';
import { ResourcesModel } from '../model/control-plane';

/**
 * What cdk8s-mesh itself says about the Envoy proxy. Since every proxy
 * (sidecars and gateways) is filled in by istiod's injection webhook from
 * Istio's own templates, what is left here is small: the well-known ports, the
 * proxy UID, the default proxy resources (fed into the injector's `values`,
 * the one place proxy settings come from), and the `istio-proxy` placeholder
 * an injected gateway pod declares (`image: auto`).
 *
 * Facts: ../shared/reference/istio-install.md §3.4, §3.5 and §5.
 */

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

/**
 * Every port an Istio proxy (or its agent) binds inside an injected pod: admin,
 * outbound and inbound capture, tunnel, health, merged and Envoy stats, DNS.
 * An application (or a gateway listener) must not use them.
 */
export const ENVOY_RESERVED_PORTS: readonly number[] = [15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090];

/** Default proxy resources (Istio's chart defaults). */
export const ENVOY_DEFAULT_RESOURCES: ResourcesModel = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '2000m', memory: '1024Mi' },
};

/** Default proxy resources as Kubernetes `ResourceRequirements`. */
export function envoyDefaultResources(): k8s.ResourceRequirements {
  return {
    requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('128Mi') },
    limits: { cpu: k8s.Quantity.fromString('2000m'), memory: k8s.Quantity.fromString('1024Mi') },
  };
}

/**
 * The `istio-proxy` container of an injected gateway pod, as Istio's gateway
 * chart declares it: `image: auto` (istiod's webhook resolves the control
 * plane's proxy image), the router's listener ports, and an unprivileged
 * security context. The `gateway` injection template fills in everything else
 * (args, env, probes, volumes) from the control plane's values and mesh config.
 *
 * `resources` is set only when the gateway overrides the control plane's
 * proxy resources (container fields the pod declares win over the template's).
 */
export function injectedGatewayContainer(ports: readonly k8s.ContainerPort[], resources?: k8s.ResourceRequirements): k8s.Container {
  return {
    name: 'istio-proxy',
    image: 'auto',
    ports: [...ports, { containerPort: EnvoyPorts.PROMETHEUS, name: 'http-envoy-prom', protocol: 'TCP' }],
    resources,
    securityContext: {
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: PROXY_UID,
      runAsGroup: PROXY_UID,
      capabilities: { drop: ['ALL'] },
    },
  };
}
