import { meshDashboard, PROMETHEUS_DATASOURCE_UID, serviceDashboard, workloadDashboard } from './grafana-dashboards';
import { GrafanaAddonModel } from '../model/observability';

/**
 * Grafana's `grafana.ini`: anonymous viewers, no sign-up, no phoning home;
 * the login form and basic auth only with an admin Secret.
 */
function renderGrafanaIni(grafana: GrafanaAddonModel): string {
  const admin = grafana.withAdmin;
  return [
    '[server]', `http_port = ${grafana.port}`,
    '[paths]', 'data = /var/lib/grafana', 'logs = /var/log/grafana', 'plugins = /var/lib/grafana/plugins', 'provisioning = /etc/grafana/provisioning',
    '[analytics]', 'reporting_enabled = false', 'check_for_updates = false', 'check_for_plugin_updates = false',
    '[users]', 'allow_sign_up = false',
    '[security]', `disable_initial_admin_creation = ${!admin}`,
    '[auth]', `disable_login_form = ${!admin}`,
    '[auth.basic]', `enabled = ${admin}`,
    '[auth.anonymous]', 'enabled = true', 'org_role = Viewer',
    '',
  ].join('\n');
}

/** The provisioned datasources: the app's Prometheus (default) and, with tracing, Jaeger. */
export function renderGrafanaDatasources(grafana: GrafanaAddonModel): Record<string, unknown>[] {
  return [
    { name: 'Prometheus', uid: PROMETHEUS_DATASOURCE_UID, type: 'prometheus', access: 'proxy', url: grafana.datasourceUrl, isDefault: true, editable: false },
    ...(grafana.tracingQueryUrl ? [{ name: 'Jaeger', uid: 'jaeger', type: 'jaeger', access: 'proxy', url: grafana.tracingQueryUrl, editable: false }] : []),
  ];
}

/** The `grafana` ConfigMap's data: `grafana.ini` and the provisioning files (YAML written by `stringify`, cdk8s's `Yaml.stringify`). */
export function renderGrafanaConfigData(grafana: GrafanaAddonModel, stringify: (value: unknown) => string): Record<string, string> {
  return {
    'grafana.ini': renderGrafanaIni(grafana),
    'datasources.yaml': stringify({ apiVersion: 1, datasources: renderGrafanaDatasources(grafana) }),
    'dashboards.yaml': stringify({
      apiVersion: 1,
      providers: [{ name: 'cdk8s-mesh', folder: 'Istio', type: 'file', disableDeletion: true, allowUiUpdates: false, options: { path: '/etc/grafana-dashboards/istio' } }],
    }),
  };
}

/** The `grafana-dashboards-istio` ConfigMap's data: the mesh, service and workload dashboards. */
export function renderGrafanaDashboardData(): Record<string, string> {
  return {
    'mesh.json': JSON.stringify(meshDashboard(), undefined, 2),
    'service.json': JSON.stringify(serviceDashboard(), undefined, 2),
    'workload.json': JSON.stringify(workloadDashboard(), undefined, 2),
  };
}
