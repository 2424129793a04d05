import { Duration, Lazy, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  addonClusterRole, addonNamespace, addonService, addonWorkload,
  configMapVolume, emptyDirVolume, promDuration, serviceUrl, sha256, validateImage,
} from './addon-base';
import { AddonCommonProps } from './addon-props';
import { MeshModel } from '../model';
import { hasAmbient } from '../model/ambient';
import { addPrometheus, addRuleLoader, alertGroups } from '../model/observability';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';

/** Prometheus image tested with this library (istio-install.md §7). */
export const PROMETHEUS_IMAGE = 'docker.io/prom/prometheus:v3.10.0';

/**
 * A Prometheus HTTP API that dashboards and Kiali query.
 */
export interface IPrometheusEndpoint {
  /** Base URL of the Prometheus HTTP API, e.g. `http://prometheus.istio-system.svc.cluster.local:9090`. */
  readonly prometheusUrl: string;
}

/**
 * An Alertmanager that Prometheus sends firing alerts to.
 */
export interface IAlertmanagerEndpoint {
  /** Base URL of the Alertmanager API, e.g. `http://alertmanager.monitoring.svc.cluster.local:9093`. */
  readonly alertmanagerUrl: string;
}

/**
 * Properties of a `PrometheusAddon`.
 */
export interface PrometheusAddonProps extends AddonCommonProps {
  /**
   * How often targets are scraped and rules evaluated.
   *
   * @default Duration.seconds(15)
   */
  readonly scrapeInterval?: Duration;

  /**
   * How long samples are kept (on an emptyDir: a pod restart loses them).
   *
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;

  /**
   * Size limit of the emptyDir holding the TSDB.
   *
   * @default Size.gibibytes(4)
   */
  readonly storageSize?: Size;

  /**
   * Namespace istiod runs in (its `http-monitoring` port 15014 is scraped).
   *
   * @default - the control plane's namespace when the App declares one, else `istio-system`
   */
  readonly controlPlaneNamespace?: string;

  /**
   * The Alertmanager that receives the alerts of the App's
   * `GoldenSignalAlerts` (written as the `alerting:` section of
   * `prometheus.yml`). This library deploys no Alertmanager: pass the one of
   * your cluster.
   *
   * @default - no Alertmanager: rules are evaluated and firing alerts are
   * visible on Prometheus's /alerts page and `ALERTS` series only; nobody is notified
   * @see https://prometheus.io/docs/prometheus/latest/configuration/configuration/#alertmanager_config
   */
  readonly alertmanager?: IAlertmanagerEndpoint;
}

const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.millis(1000) },
  memory: { request: Size.mebibytes(512), limit: Size.mebibytes(2048) },
};

const DROP_FINISHED_PODS = { source_labels: ['__meta_kubernetes_pod_phase'], action: 'drop', regex: 'Pending|Succeeded|Failed|Completed' };
const POD_TARGET_LABELS = [
  { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'namespace' },
  { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'pod' },
];

/**
 * Prometheus for the mesh: scrapes what Istio's standard metrics need and
 * loads the alert rules of every `GoldenSignalAlerts` in the App.
 *
 * Scrape jobs:
 * - `kubernetes-pods`: pods annotated `prometheus.io/scrape: "true"` at their
 *   `prometheus.io/port` and `prometheus.io/path` — with Istio's metrics merging
 *   this is the agent's 15020 `/stats/prometheus` (Envoy + agent + app).
 * - `envoy-stats`: Envoy's own 15090 endpoint (container port `http-envoy-prom`)
 *   of proxies that are not scraped through the merged endpoint, so nothing is
 *   counted twice.
 * - `istiod`: the control plane's 15014 `http-monitoring` port.
 *
 * Least privilege: a ClusterRole that may only get/list/watch pods, services,
 * endpoints and endpointslices.
 *
 * @see https://istio.io/latest/docs/ops/integrations/prometheus/
 */
export class PrometheusAddon extends Construct implements IPrometheusEndpoint {
  /** Service name. */
  public readonly serviceName = 'prometheus';
  /** Namespace of the addon. */
  public readonly namespace: string;
  /** HTTP port of the Service. */
  public readonly port = 9090;
  public readonly prometheusUrl: string;
  /** The ConfigMap holding `prometheus.yml` and `alerts.yml`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;

  private readonly model: MeshModel;
  private readonly interval: string;
  private readonly controlPlaneNamespace?: string;
  private readonly alertmanager?: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: PrometheusAddonProps = {}) {
    super(scope, id);
    checkArgs(this, 'PrometheusAddon.new', arguments);
    this.model = MeshModel.of(this);
    this.namespace = addonNamespace(this, props.namespace);
    const image = validateImage(this, props.image ?? PROMETHEUS_IMAGE);
    const interval = props.scrapeInterval ?? Duration.seconds(15);
    if (interval.toMilliseconds() < 1000) {
      throw propError(this, 'scrapeInterval', 'must be at least 1 second', `${interval.toMilliseconds()}ms`, 'use e.g. Duration.seconds(15)');
    }
    this.interval = promDuration(interval);
    const retention = props.retention ?? Duration.hours(24);
    if (retention.toMilliseconds() < 60000) {
      throw propError(this, 'retention', 'must be at least 1 minute', promDuration(retention), 'use e.g. Duration.hours(24)');
    }
    this.controlPlaneNamespace = props.controlPlaneNamespace;
    this.alertmanager = props.alertmanager ? parseAlertmanager(this, props.alertmanager.alertmanagerUrl) : undefined;
    this.prometheusUrl = serviceUrl(this.serviceName, this.namespace, this.model.clusterDomain, this.port);

    const data = () => ({ 'prometheus.yml': this.renderConfig(), 'alerts.yml': this.renderAlerts() });
    this.configMap = new k8s.KubeConfigMap(this, 'ConfigMap', {
      metadata: { name: 'prometheus', namespace: this.namespace, labels: { app: 'prometheus' } },
      data: Lazy.any({ produce: data }),
    });

    const { deployment } = addonWorkload(this, {
      name: 'prometheus',
      namespace: this.namespace,
      image,
      args: [
        '--config.file=/etc/prometheus/prometheus.yml',
        '--storage.tsdb.path=/prometheus',
        `--storage.tsdb.retention.time=${Math.round(retention.toMilliseconds() / 60000)}m`,
      ],
      ports: [{ name: 'http', containerPort: this.port }],
      volumes: [
        { volume: configMapVolume('config', 'prometheus'), mountPath: '/etc/prometheus', readOnly: true },
        { volume: emptyDirVolume('data', `${(props.storageSize ?? Size.gibibytes(4)).toMebibytes()}Mi`), mountPath: '/prometheus' },
      ],
      resources: props.resources ?? DEFAULT_RESOURCES,
      uid: 65534,
      readinessPath: '/-/ready',
      livenessPath: '/-/healthy',
      probePort: this.port,
      apiAccess: true,
      configChecksum: () => sha256(JSON.stringify(data())),
      // ambient mesh: the pods join it for their outbound traffic (ztunnel), so scrapes of ambient pods
      // carry Prometheus's identity over mTLS, which STRICT requires and the pods' policies admit on their
      // metrics ports; inbound stays uncaptured, for its clients outside the mesh (Grafana, Kiali, Argo Rollouts)
      podLabels: (): Record<string, string> => (hasAmbient(this.model) ? { 'istio.io/dataplane-mode': 'ambient' } : {}),
      podAnnotations: (): Record<string, string> => (hasAmbient(this.model) ? { 'ambient.istio.io/bypass-inbound-capture': 'true' } : {}),
    });
    this.deployment = deployment;
    this.service = addonService(this, 'Service', 'prometheus', this.serviceName, this.namespace, [
      { name: 'http', port: this.port, targetPort: this.port, appProtocol: 'http' },
    ]);
    addonClusterRole(this, 'prometheus', this.namespace, [
      { apiGroups: [''], resources: ['endpoints', 'pods', 'services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ]);
    addRuleLoader(this.model, { path: this.node.path });
    addPrometheus(this.model, { path: this.node.path, url: this.prometheusUrl, namespace: this.namespace, serviceAccount: 'prometheus' });
  }

  /** @internal */
  public _scrapeConfig(): Record<string, unknown> {
    const istiodNamespace = this.controlPlaneNamespace ?? this.model.controlPlane.namespace;
    return {
      global: { scrape_interval: this.interval, evaluation_interval: this.interval },
      rule_files: ['/etc/prometheus/alerts.yml'],
      ...(this.alertmanager ? { alerting: { alertmanagers: [this.alertmanager] } } : {}),
      scrape_configs: [
        { job_name: 'prometheus', static_configs: [{ targets: [`localhost:${this.port}`] }] },
        {
          job_name: 'istiod',
          kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: [istiodNamespace] } }],
          relabel_configs: [
            { source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name'], action: 'keep', regex: 'istiod(-.+)?;http-monitoring' },
            { source_labels: ['__meta_kubernetes_namespace'], action: 'replace', target_label: 'namespace' },
            { source_labels: ['__meta_kubernetes_pod_name'], action: 'replace', target_label: 'pod' },
          ],
        },
        {
          job_name: 'kubernetes-pods',
          kubernetes_sd_configs: [{ role: 'pod' }],
          relabel_configs: [
            { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' },
            DROP_FINISHED_PODS,
            { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_path'], action: 'replace', target_label: '__metrics_path__', regex: '(.+)' },
            // IPv4 and IPv6 pod addresses with the annotated port
            { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip'], action: 'replace', regex: '(\\d+);(\\d+\\.\\d+\\.\\d+\\.\\d+)', replacement: '$2:$1', target_label: '__address__' },
            { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip'], action: 'replace', regex: '(\\d+);([0-9A-Fa-f]*:[0-9A-Fa-f:]+)', replacement: '[$2]:$1', target_label: '__address__' },
            ...POD_TARGET_LABELS,
          ],
        },
        {
          job_name: 'envoy-stats',
          metrics_path: '/stats/prometheus',
          kubernetes_sd_configs: [{ role: 'pod' }],
          relabel_configs: [
            { source_labels: ['__meta_kubernetes_pod_container_port_name'], action: 'keep', regex: '.*-envoy-prom' },
            // merged-metrics pods are scraped by kubernetes-pods already
            { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'drop', regex: 'true' },
            DROP_FINISHED_PODS,
            ...POD_TARGET_LABELS,
          ],
        },
      ],
    };
  }

  private renderConfig(): string {
    return Yaml.stringify(this._scrapeConfig());
  }

  private renderAlerts(): string {
    return Yaml.stringify({ groups: alertGroups(this.model).map((g) => g.group) });
  }
}

/** Prometheus's `alertmanager_config` for an Alertmanager base URL. */
function parseAlertmanager(scope: Construct, value: string): Record<string, unknown> {
  const m = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?(\/[^\s?#]*)?$/.exec(value ?? '');
  if (!m || (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535))) {
    throw propError(scope, 'alertmanager.alertmanagerUrl', 'must be an http:// or https:// URL of an Alertmanager (host, optional port and path, no query)', value,
      'use e.g. \'http://alertmanager.monitoring.svc.cluster.local:9093\'');
  }
  const [, scheme, host, port, path] = m;
  const target = `${host}:${port ?? (scheme === 'https' ? '443' : '80')}`;
  return {
    scheme,
    ...(path && path !== '/' ? { path_prefix: path } : {}),
    api_version: 'v2',
    static_configs: [{ targets: [target] }],
  };
}
