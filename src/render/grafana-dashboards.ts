/**
 * Grafana dashboards of cdk8s-mesh's own making (not exported from the
 * package), over Istio's standard metrics `istio_requests_total` and
 * `istio_request_duration_milliseconds_bucket`. Pure functions: same input,
 * same JSON.
 */

export const PROMETHEUS_DATASOURCE_UID = 'prometheus';

interface PanelSpec {
  readonly title: string;
  readonly unit: string;
  readonly targets: { expr: string; legend: string }[];
  readonly kind?: 'timeseries' | 'stat';
}

/** Width of Grafana's dashboard grid. */
export const GRID_COLUMNS = 24;

/**
 * Grid positions, filled left to right and row by row like text: a panel
 * that does not fit in the rest of the row starts the next row, below the
 * tallest panel of the current one.
 */
function layout(specs: PanelSpec[]): { h: number; w: number; x: number; y: number }[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((p) => {
    const w = p.kind === 'stat' ? 8 : 12;
    const h = p.kind === 'stat' ? 4 : 8;
    if (x + w > GRID_COLUMNS) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const pos = { h, w, x, y };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    return pos;
  });
}

function panels(specs: PanelSpec[]): Record<string, unknown>[] {
  const grid = layout(specs);
  return specs.map((p, i) => ({
    id: i + 1,
    type: p.kind ?? 'timeseries',
    title: p.title,
    datasource: { type: 'prometheus', uid: PROMETHEUS_DATASOURCE_UID },
    gridPos: grid[i],
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: {},
    targets: p.targets.map((t, j) => ({
      refId: String.fromCharCode(65 + j),
      datasource: { type: 'prometheus', uid: PROMETHEUS_DATASOURCE_UID },
      expr: t.expr,
      legendFormat: t.legend,
    })),
  }));
}

function variable(name: string, label: string, query: string): Record<string, unknown> {
  return {
    name,
    label,
    type: 'query',
    datasource: { type: 'prometheus', uid: PROMETHEUS_DATASOURCE_UID },
    query: { query, refId: 'vars' },
    definition: query,
    refresh: 2,
    sort: 1,
    includeAll: false,
    multi: false,
  };
}

function dashboard(uid: string, title: string, vars: Record<string, unknown>[], specs: PanelSpec[]): Record<string, unknown> {
  return {
    uid,
    title,
    tags: ['istio', 'cdk8s-mesh'],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: vars },
    panels: panels(specs),
  };
}

const RATE = '[5m]';
const p99 = (selector: string, by: string) =>
  `histogram_quantile(0.99, sum by (le, ${by}) (rate(istio_request_duration_milliseconds_bucket{${selector}}${RATE})))`;
const successRatio = (selector: string, by?: string) => {
  const grp = by ? ` by (${by})` : '';
  return `sum${grp}(rate(istio_requests_total{${selector}, response_code!~"5.."}${RATE})) / sum${grp}(rate(istio_requests_total{${selector}}${RATE}))`;
};

/** Dashboard titles Kiali links to. */
export const DASHBOARD_TITLES = {
  mesh: 'Mesh Overview (cdk8s-mesh)',
  service: 'Mesh Service (cdk8s-mesh)',
  workload: 'Mesh Workload (cdk8s-mesh)',
} as const;

/** Whole-mesh view: traffic, success and latency per service. */
export function meshDashboard(): Record<string, unknown> {
  const dst = 'reporter="destination"';
  return dashboard('cdk8s-mesh-overview', DASHBOARD_TITLES.mesh, [], [
    { title: 'Requests per second (mesh)', unit: 'reqps', kind: 'stat', targets: [{ expr: `sum(rate(istio_requests_total{${dst}}${RATE}))`, legend: 'rps' }] },
    { title: 'Success rate (non-5xx, mesh)', unit: 'percentunit', kind: 'stat', targets: [{ expr: successRatio(dst), legend: 'success' }] },
    { title: '4xx per second (mesh)', unit: 'reqps', kind: 'stat', targets: [{ expr: `sum(rate(istio_requests_total{${dst}, response_code=~"4.."}${RATE}))`, legend: '4xx' }] },
    { title: 'Requests per second by service', unit: 'reqps', targets: [{ expr: `sum by (destination_service) (rate(istio_requests_total{${dst}}${RATE}))`, legend: '{{destination_service}}' }] },
    { title: 'Success rate by service', unit: 'percentunit', targets: [{ expr: successRatio(dst, 'destination_service'), legend: '{{destination_service}}' }] },
    { title: 'P99 latency by service', unit: 'ms', targets: [{ expr: p99(dst, 'destination_service'), legend: '{{destination_service}}' }] },
  ]);
}

/** One service: its clients, response codes and latency percentiles. */
export function serviceDashboard(): Record<string, unknown> {
  const sel = 'reporter="destination", destination_service=~"$service"';
  return dashboard('cdk8s-mesh-service', DASHBOARD_TITLES.service, [
    variable('service', 'Service', 'label_values(istio_requests_total{reporter="destination"}, destination_service)'),
  ], [
    { title: 'Requests per second by response code', unit: 'reqps', targets: [{ expr: `sum by (response_code) (rate(istio_requests_total{${sel}}${RATE}))`, legend: '{{response_code}}' }] },
    { title: 'Success rate (non-5xx)', unit: 'percentunit', targets: [{ expr: successRatio(sel), legend: 'success' }] },
    {
      title: 'Request duration percentiles',
      unit: 'ms',
      targets: ['0.50', '0.90', '0.99'].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${sel}}${RATE})))`,
        legend: `p${Math.round(Number(q) * 100)}`,
      })),
    },
    { title: 'Requests per second by client workload', unit: 'reqps', targets: [{ expr: `sum by (source_workload, source_workload_namespace) (rate(istio_requests_total{${sel}}${RATE}))`, legend: '{{source_workload}}.{{source_workload_namespace}}' }] },
  ]);
}

/** One workload: inbound traffic it serves and outbound calls it makes. */
export function workloadDashboard(): Record<string, unknown> {
  const inbound = 'reporter="destination", destination_workload_namespace=~"$namespace", destination_workload=~"$workload"';
  const outbound = 'reporter="source", source_workload_namespace=~"$namespace", source_workload=~"$workload"';
  return dashboard('cdk8s-mesh-workload', DASHBOARD_TITLES.workload, [
    variable('namespace', 'Namespace', 'label_values(istio_requests_total{reporter="destination"}, destination_workload_namespace)'),
    variable('workload', 'Workload', 'label_values(istio_requests_total{reporter="destination", destination_workload_namespace=~"$namespace"}, destination_workload)'),
  ], [
    { title: 'Inbound requests per second by response code', unit: 'reqps', targets: [{ expr: `sum by (response_code) (rate(istio_requests_total{${inbound}}${RATE}))`, legend: '{{response_code}}' }] },
    { title: 'Inbound success rate (non-5xx)', unit: 'percentunit', targets: [{ expr: successRatio(inbound), legend: 'success' }] },
    { title: 'Inbound P99 latency', unit: 'ms', targets: [{ expr: p99(inbound, 'destination_workload'), legend: '{{destination_workload}}' }] },
    { title: 'Outbound requests per second by destination', unit: 'reqps', targets: [{ expr: `sum by (destination_service) (rate(istio_requests_total{${outbound}}${RATE}))`, legend: '{{destination_service}}' }] },
    { title: 'Outbound success rate by destination', unit: 'percentunit', targets: [{ expr: successRatio(outbound, 'destination_service'), legend: '{{destination_service}}' }] },
    { title: 'Outbound P99 latency by destination', unit: 'ms', targets: [{ expr: p99(outbound, 'destination_service'), legend: '{{destination_service}}' }] },
  ]);
}
