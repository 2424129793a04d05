import { Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { addonClusterRole, addonNamespace, addonResources, addonService, addonWorkload, serviceUrl, sha256, validateImage } from './addon-base';
import { AddonCommonProps } from './addon-props';
import { IDashboardsEndpoint } from './grafana';
import { ITracingBackend } from './jaeger';
import { IPrometheusEndpoint } from './prometheus';
import { KialiAddonModel } from '../model/observability';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { renderKialiClusterRoleRules, renderKialiConfig } from '../render/kiali';
import { meshOf } from '../synth/mesh';

/** Kiali image tested with this library (istio-install.md §7). */
export const KIALI_IMAGE = 'quay.io/kiali/kiali:v2.27';

/**
 * Properties of a `KialiAddon`.
 */
export interface KialiAddonProps extends AddonCommonProps {
  /** The Prometheus Kiali reads Istio's metrics from. */
  readonly prometheus: IPrometheusEndpoint;

  /**
   * The Grafana Kiali links dashboards to.
   *
   * @default - Grafana integration off
   */
  readonly grafana?: IDashboardsEndpoint;

  /**
   * The Jaeger Kiali reads traces from.
   *
   * @default - tracing integration off
   */
  readonly tracing?: ITracingBackend;

  /**
   * The address of Grafana in the user's browser, which Kiali's dashboard
   * links open (Kiali's `external_services.grafana.external_url`; without it
   * the links and `/api/grafana` are off). Set it to Grafana's ingress URL.
   *
   * @default - `http://localhost:3000`, where `kubectl port-forward -n <ns> svc/grafana 3000` serves it
   * @see https://kiali.io/docs/configuration/p8s-jaeger-grafana/grafana/
   */
  readonly grafanaExternalUrl?: string;

  /**
   * The address of the Jaeger UI in the user's browser, which Kiali's trace
   * links open (Kiali's `external_services.tracing.external_url`).
   *
   * @default - `http://localhost:16686/jaeger`, where `kubectl port-forward -n <ns> svc/tracing 16686:80` serves it
   * @see https://kiali.io/docs/configuration/p8s-jaeger-grafana/tracing/
   */
  readonly tracingExternalUrl?: string;
}

const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(1024) },
};
const PORT = 20001;
const METRICS_PORT = 9090;

/**
 * Kiali in view-only mode: the live service graph, wired to the given
 * Prometheus, Grafana and Jaeger.
 *
 * Secure defaults: `view_only_mode` with a read-only ClusterRole (no write
 * verbs, no Secrets), anonymous auth inside the cluster only (ClusterIP).
 * The one non-read permission is `create` on `pods/portforward`: Kiali
 * port-forwards to istiod (proxy sync status, registry) and to Envoy's admin
 * port (config dumps); without it istiod shows as unreachable.
 *
 * Kiali v2 finds the control plane itself (istiod Deployments and their mesh
 * config), so the config names no Istio namespace.
 *
 * @see https://istio.io/latest/docs/ops/integrations/kiali/
 */
export class KialiAddon extends Construct {
  /** Namespace of the addon. */
  public readonly namespace: string;
  /** Base URL of Kiali. */
  public readonly kialiUrl: string;
  /** The parsed `config.yaml` Kiali runs with (a copy). */
  private readonly _config: Record<string, unknown>;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;

  constructor(scope: Construct, id: string, props: KialiAddonProps) {
    super(scope, id);
    checkArgs(this, 'KialiAddon.new', arguments);
    const model = meshOf(this);
    this.namespace = addonNamespace(this, props.namespace);
    this.kialiUrl = serviceUrl('kiali', this.namespace, model.clusterDomain, PORT, '/kiali');
    const addon = this.toModel(props);
    model.addAddon(addon);
    this._config = renderKialiConfig(addon);
    const text = Yaml.stringify(this._config);
    new k8s.KubeConfigMap(this, 'ConfigMap', { metadata: { name: 'kiali', namespace: this.namespace, labels: { app: 'kiali' } }, data: { 'config.yaml': text } });
    this.deployment = addonWorkload(this, addon.workload, () => sha256(text)).deployment;
    this.service = addonService(this, 'Service', 'kiali', 'kiali', this.namespace, [
      { name: 'http', port: PORT, targetPort: PORT, appProtocol: 'http' },
      { name: 'http-metrics', port: METRICS_PORT, targetPort: METRICS_PORT, appProtocol: 'http' },
    ]);
    addonClusterRole(this, 'kiali', this.namespace, renderKialiClusterRoleRules());
  }

  private toModel(props: KialiAddonProps): KialiAddonModel {
    const grafanaExternalUrl = validateBrowserUrl(this, 'grafanaExternalUrl', props.grafanaExternalUrl ?? 'http://localhost:3000');
    const tracingExternalUrl = validateBrowserUrl(this, 'tracingExternalUrl', props.tracingExternalUrl ?? 'http://localhost:16686/jaeger');
    return {
      kind: 'kiali',
      path: this.node.path,
      namespace: this.namespace,
      url: this.kialiUrl,
      port: PORT,
      metricsPort: METRICS_PORT,
      prometheusUrl: props.prometheus.prometheusUrl,
      grafana: props.grafana ? { internalUrl: props.grafana.grafanaUrl, externalUrl: grafanaExternalUrl } : undefined,
      tracing: props.tracing ? { internalUrl: props.tracing.tracingQueryUrl, externalUrl: tracingExternalUrl } : undefined,
      workload: {
        name: 'kiali',
        namespace: this.namespace,
        image: validateImage(this, props.image ?? KIALI_IMAGE),
        args: ['-config', '/kiali-configuration/config.yaml'],
        env: [{ name: 'ACTIVE_NAMESPACE', fieldPath: 'metadata.namespace' }, { name: 'LOG_FORMAT', value: 'text' }],
        ports: [{ name: 'http', containerPort: PORT }, { name: 'http-metrics', containerPort: METRICS_PORT }],
        volumes: [
          { name: 'config', configMap: { name: 'kiali' }, mountPath: '/kiali-configuration', readOnly: true },
          { name: 'tmp', emptyDir: {}, mountPath: '/tmp' },
        ],
        resources: addonResources(this, props.resources ?? DEFAULT_RESOURCES),
        uid: 1000,
        readinessPath: '/kiali/healthz',
        probePort: PORT,
        apiAccess: true,
      },
    };
  }

  /** The configuration Kiali runs with (a copy). */
  public get config(): { [key: string]: unknown } {
    return JSON.parse(JSON.stringify(this._config));
  }
}

/** An absolute http(s) URL a browser opens. */
function validateBrowserUrl(scope: Construct, prop: string, value: string): string {
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(value)) {
    throw propError(scope, prop, 'must be an absolute http:// or https:// URL that the user\'s browser can open', value, 'use e.g. \'https://grafana.example.com\'');
  }
  return value;
}
