import { Size, Yaml } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { addonNamespace, addonService, addonWorkload, configMapVolume, emptyDirVolume, serviceUrl, sha256, validateImage } from './addon-base';
import { AddonCommonProps } from './addon-props';
import { meshDashboard, PROMETHEUS_DATASOURCE_UID, serviceDashboard, workloadDashboard } from './dashboards';
import { ITracingBackend } from './jaeger';
import { IPrometheusEndpoint } from './prometheus';
import { checkArgs } from '../private/runtime-types';
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
    const image = validateImage(this, props.image ?? GRAFANA_IMAGE);
    this.grafanaUrl = serviceUrl(this.serviceName, this.namespace, model.clusterDomain, PORT);
    model.addAddon({ kind: 'grafana', path: this.node.path, namespace: this.namespace, url: this.grafanaUrl, serviceAccount: 'grafana' });
    this.datasourceUrl = props.prometheus.prometheusUrl;
    const withAdmin = props.adminSecret !== undefined;

    const ini = [
      '[server]', `http_port = ${PORT}`,
      '[paths]', 'data = /var/lib/grafana', 'logs = /var/log/grafana', 'plugins = /var/lib/grafana/plugins', 'provisioning = /etc/grafana/provisioning',
      '[analytics]', 'reporting_enabled = false', 'check_for_updates = false', 'check_for_plugin_updates = false',
      '[users]', 'allow_sign_up = false',
      '[security]', `disable_initial_admin_creation = ${!withAdmin}`,
      '[auth]', `disable_login_form = ${!withAdmin}`,
      '[auth.basic]', `enabled = ${withAdmin}`,
      '[auth.anonymous]', 'enabled = true', 'org_role = Viewer',
      '',
    ].join('\n');
    const datasources = [
      { name: 'Prometheus', uid: PROMETHEUS_DATASOURCE_UID, type: 'prometheus', access: 'proxy', url: this.datasourceUrl, isDefault: true, editable: false },
      ...(props.tracing ? [{ name: 'Jaeger', uid: 'jaeger', type: 'jaeger', access: 'proxy', url: props.tracing.tracingQueryUrl, editable: false }] : []),
    ];
    const config: Record<string, string> = {
      'grafana.ini': ini,
      'datasources.yaml': Yaml.stringify({ apiVersion: 1, datasources }),
      'dashboards.yaml': Yaml.stringify({
        apiVersion: 1,
        providers: [{ name: 'cdk8s-mesh', folder: 'Istio', type: 'file', disableDeletion: true, allowUiUpdates: false, options: { path: '/etc/grafana-dashboards/istio' } }],
      }),
    };
    const dashboards: Record<string, string> = {
      'mesh.json': JSON.stringify(meshDashboard(), undefined, 2),
      'service.json': JSON.stringify(serviceDashboard(), undefined, 2),
      'workload.json': JSON.stringify(workloadDashboard(), undefined, 2),
    };
    new k8s.KubeConfigMap(this, 'ConfigMap', { metadata: { name: 'grafana', namespace: this.namespace, labels: { app: 'grafana' } }, data: config });
    new k8s.KubeConfigMap(this, 'Dashboards', { metadata: { name: 'grafana-dashboards-istio', namespace: this.namespace, labels: { app: 'grafana' } }, data: dashboards });

    const env: k8s.EnvVar[] = props.adminSecret ? [
      { name: 'GF_SECURITY_ADMIN_USER', valueFrom: { secretKeyRef: { name: props.adminSecret.name, key: 'admin-user' } } },
      { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: props.adminSecret.name, key: 'admin-password' } } },
    ] : [];
    const { deployment } = addonWorkload(this, {
      name: 'grafana',
      namespace: this.namespace,
      image,
      env: env.length ? env : undefined,
      ports: [{ name: 'http', containerPort: PORT }],
      volumes: [
        {
          volume: configMapVolume('config', 'grafana', [
            { key: 'grafana.ini', path: 'grafana.ini' },
            { key: 'datasources.yaml', path: 'provisioning/datasources/datasources.yaml' },
            { key: 'dashboards.yaml', path: 'provisioning/dashboards/dashboards.yaml' },
          ]),
          mountPath: '/etc/grafana',
          readOnly: true,
        },
        { volume: configMapVolume('dashboards', 'grafana-dashboards-istio'), mountPath: '/etc/grafana-dashboards/istio', readOnly: true },
        { volume: emptyDirVolume('data'), mountPath: '/var/lib/grafana' },
        { volume: emptyDirVolume('logs'), mountPath: '/var/log/grafana' },
        { volume: emptyDirVolume('tmp'), mountPath: '/tmp' },
      ],
      resources: props.resources ?? DEFAULT_RESOURCES,
      uid: 472,
      readinessPath: '/api/health',
      probePort: PORT,
      apiAccess: false,
      configChecksum: () => sha256(JSON.stringify([config, dashboards])),
    });
    this.deployment = deployment;
    this.service = addonService(this, 'Service', 'grafana', this.serviceName, this.namespace, [
      { name: 'http', port: PORT, targetPort: PORT, appProtocol: 'http' },
    ]);
  }
}
