import { Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { addonNamespace, addonResources, addonService, addonWorkload, serviceUrl, sha256, validateImage } from './addon-base';
import { AddonCommonProps } from './addon-props';
import { ITracingBackend } from './jaeger';
import { IPrometheusEndpoint } from './prometheus';
import { GrafanaAddonModel } from '../model/observability';
import { checkArgs } from '../private/runtime-types';
import { renderGrafanaConfigData, renderGrafanaDashboardData } from '../render/grafana';
import { meshOf } from '../synth/mesh';

/** Grafana image tested with this library (istio-install.md §7). */
export const GRAFANA_IMAGE = 'docker.io/grafana/grafana:12.0.1';

/**
 * A Grafana that Kiali links to.
 */
export interface IDashboardsEndpoint {
  /** Base URL of Grafana, e.g. `http://grafana.istio-system.svc.cluster.local:3000`. */
  readonly grafanaUrl: string;
}

/**
 * Properties of a `GrafanaAddon`.
 */
export interface GrafanaAddonProps extends AddonCommonProps {
  /** The Prometheus the default datasource queries. */
  readonly prometheus: IPrometheusEndpoint;

  /**
   * A Jaeger to add as a second datasource.
   *
   * @default - no tracing datasource
   */
  readonly tracing?: ITracingBackend;

  /**
   * Secret with keys `admin-user` and `admin-password` for Grafana's admin
   * login. Without it no admin is created, the login form is off and
   * dashboards are read-only for anonymous viewers.
   *
   * @default - no admin login; anonymous read-only (Viewer) access
   */
  readonly adminSecret?: kplus.ISecret;
}

const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
};
const PORT = 3000;

/**
 * Grafana with the Prometheus datasource provisioned and three dashboards of
 * cdk8s-mesh's own making: mesh overview, service and workload views over
 * Istio's standard metrics.
 *
 * Analytics, update checks and sign-up are off (no network calls home).
 *
 * @see https://istio.io/latest/docs/ops/integrations/grafana/
 */
export class GrafanaAddon extends Construct implements IDashboardsEndpoint {
  /** Namespace of the addon. */
  public readonly namespace: string;
  /** Service name. */
  public readonly serviceName = 'grafana';
  /** HTTP port of the Service. */
  public readonly port = PORT;
  public readonly grafanaUrl: string;
  /** URL of the provisioned Prometheus datasource. */
  public readonly datasourceUrl: string;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;

  constructor(scope: Construct, id: string, props: GrafanaAddonProps) {
    super(scope, id);
    checkArgs(this, 'GrafanaAddon.new', arguments);
    const model = meshOf(this);
    this.namespace = addonNamespace(this, props.namespace);
    this.grafanaUrl = serviceUrl(this.serviceName, this.namespace, model.clusterDomain, PORT);
    this.datasourceUrl = props.prometheus.prometheusUrl;
    const addon = this.toModel(props);
    model.addAddon(addon);
    const config = renderGrafanaConfigData(addon, (v) => Yaml.stringify(v));
    const dashboards = renderGrafanaDashboardData();
    new k8s.KubeConfigMap(this, 'ConfigMap', { metadata: { name: 'grafana', namespace: this.namespace, labels: { app: 'grafana' } }, data: config });
    new k8s.KubeConfigMap(this, 'Dashboards', { metadata: { name: 'grafana-dashboards-istio', namespace: this.namespace, labels: { app: 'grafana' } }, data: dashboards });
    this.deployment = addonWorkload(this, addon.workload, () => sha256(JSON.stringify([config, dashboards]))).deployment;
    this.service = addonService(this, 'Service', 'grafana', this.serviceName, this.namespace, [
      { name: 'http', port: PORT, targetPort: PORT, appProtocol: 'http' },
    ]);
  }

  private toModel(props: GrafanaAddonProps): GrafanaAddonModel {
    const admin = props.adminSecret?.name;
    return {
      kind: 'grafana',
      path: this.node.path,
      namespace: this.namespace,
      url: this.grafanaUrl,
      port: PORT,
      datasourceUrl: this.datasourceUrl,
      tracingQueryUrl: props.tracing?.tracingQueryUrl,
      withAdmin: admin !== undefined,
      workload: {
        name: 'grafana',
        namespace: this.namespace,
        image: validateImage(this, props.image ?? GRAFANA_IMAGE),
        env: admin !== undefined ? [
          { name: 'GF_SECURITY_ADMIN_USER', secret: { name: admin, key: 'admin-user' } },
          { name: 'GF_SECURITY_ADMIN_PASSWORD', secret: { name: admin, key: 'admin-password' } },
        ] : undefined,
        ports: [{ name: 'http', containerPort: PORT }],
        volumes: [
          {
            name: 'config',
            configMap: {
              name: 'grafana',
              items: [
                { key: 'grafana.ini', path: 'grafana.ini' },
                { key: 'datasources.yaml', path: 'provisioning/datasources/datasources.yaml' },
                { key: 'dashboards.yaml', path: 'provisioning/dashboards/dashboards.yaml' },
              ],
            },
            mountPath: '/etc/grafana',
            readOnly: true,
          },
          { name: 'dashboards', configMap: { name: 'grafana-dashboards-istio' }, mountPath: '/etc/grafana-dashboards/istio', readOnly: true },
          { name: 'data', emptyDir: {}, mountPath: '/var/lib/grafana' },
          { name: 'logs', emptyDir: {}, mountPath: '/var/log/grafana' },
          { name: 'tmp', emptyDir: {}, mountPath: '/tmp' },
        ],
        resources: addonResources(this, props.resources ?? DEFAULT_RESOURCES),
        uid: 472,
        readinessPath: '/api/health',
        probePort: PORT,
        apiAccess: false,
      },
    };
  }
}
