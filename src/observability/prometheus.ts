import { Duration, Lazy, Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  addonClusterRole, addonNamespace, addonResources, addonService, addonWorkload, promDuration, serviceUrl, sha256, validateImage,
} from './addon-base';
import { AddonCommonProps } from './addon-props';
import { MeshModel } from '../model/mesh-model';
import { PrometheusAddonModel } from '../model/observability';
import { snapshotOf } from '../model/resolve';
import { propError } from '../private/errors';
import { checkArgs } from '../private/runtime-types';
import { renderPrometheusAlerts, renderPrometheusClusterRoleRules, renderPrometheusConfig } from '../render/prometheus';
import { meshOf } from '../synth/mesh';

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

  constructor(scope: Construct, id: string, props: PrometheusAddonProps = {}) {
    super(scope, id);
    checkArgs(this, 'PrometheusAddon.new', arguments);
    this.model = meshOf(this);
    this.namespace = addonNamespace(this, props.namespace);
    this.prometheusUrl = serviceUrl(this.serviceName, this.namespace, this.model.clusterDomain, this.port);
    const addon = this.toModel(props);
    const data = () => {
      const snapshot = snapshotOf(this.model);
      return { 'prometheus.yml': Yaml.stringify(renderPrometheusConfig(snapshot, addon)), 'alerts.yml': Yaml.stringify(renderPrometheusAlerts(snapshot)) };
    };
    this.configMap = new k8s.KubeConfigMap(this, 'ConfigMap', {
      metadata: { name: 'prometheus', namespace: this.namespace, labels: { app: 'prometheus' } },
      data: Lazy.any({ produce: data }),
    });
    this.deployment = addonWorkload(this, addon.workload, () => sha256(JSON.stringify(data()))).deployment;
    this.service = addonService(this, 'Service', 'prometheus', this.serviceName, this.namespace, [
      { name: 'http', port: this.port, targetPort: this.port, appProtocol: 'http' },
    ]);
    addonClusterRole(this, 'prometheus', this.namespace, renderPrometheusClusterRoleRules());
    this.model.addRuleLoader({ path: this.node.path });
    this.model.addAddon(addon);
  }

  private toModel(props: PrometheusAddonProps): PrometheusAddonModel {
    const image = validateImage(this, props.image ?? PROMETHEUS_IMAGE);
    const interval = props.scrapeInterval ?? Duration.seconds(15);
    if (interval.toMilliseconds() < 1000) {
      throw propError(this, 'scrapeInterval', 'must be at least 1 second', `${interval.toMilliseconds()}ms`, 'use e.g. Duration.seconds(15)');
    }
    const retention = props.retention ?? Duration.hours(24);
    if (retention.toMilliseconds() < 60000) {
      throw propError(this, 'retention', 'must be at least 1 minute', promDuration(retention), 'use e.g. Duration.hours(24)');
    }
    return {
      kind: 'prometheus',
      path: this.node.path,
      namespace: this.namespace,
      url: this.prometheusUrl,
      port: this.port,
      interval: promDuration(interval),
      controlPlaneNamespace: props.controlPlaneNamespace,
      alertmanager: props.alertmanager ? parseAlertmanager(this, props.alertmanager.alertmanagerUrl) : undefined,
      workload: {
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
          { name: 'config', configMap: { name: 'prometheus' }, mountPath: '/etc/prometheus', readOnly: true },
          { name: 'data', emptyDir: { sizeLimit: `${(props.storageSize ?? Size.gibibytes(4)).toMebibytes()}Mi` }, mountPath: '/prometheus' },
        ],
        resources: addonResources(this, props.resources ?? DEFAULT_RESOURCES),
        uid: 65534,
        readinessPath: '/-/ready',
        livenessPath: '/-/healthy',
        probePort: this.port,
        apiAccess: true,
        joinsAmbientMesh: true,
      },
    };
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
