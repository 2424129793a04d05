import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import * as YAML from 'yaml';
import { GrafanaAddon } from '../../src';
import { findObject, synthAndValidate } from '../util';

const prometheus = { prometheusUrl: 'http://prom.monitoring.svc.cluster.local:9090' };

describe('GrafanaAddon', () => {
  describe('provisioning', () => {
    test('datasource to the given Prometheus, three dashboards of our own over Istio metrics, no admin by default', () => {
      // GIVEN
      const chart = Testing.chart();
      // WHEN
      const g = new GrafanaAddon(chart, 'grafana', { prometheus });
      const out = synthAndValidate(chart);
      // THEN
      expect(g.grafanaUrl).toBe('http://grafana.istio-system.svc.cluster.local:3000');
      const cm = findObject(out, 'ConfigMap', 'grafana').data;
      expect(YAML.parse(cm['datasources.yaml']).datasources).toEqual([
        { name: 'Prometheus', uid: 'prometheus', type: 'prometheus', access: 'proxy', url: prometheus.prometheusUrl, isDefault: true, editable: false },
      ]);
      expect(cm['grafana.ini']).toContain('disable_initial_admin_creation = true');
      expect(cm['grafana.ini']).toContain('org_role = Viewer');
      expect(cm['grafana.ini']).toContain('reporting_enabled = false');
      const dashboards = findObject(out, 'ConfigMap', 'grafana-dashboards-istio').data;
      expect(Object.keys(dashboards).sort()).toEqual(['mesh.json', 'service.json', 'workload.json']);
      for (const json of Object.values(dashboards) as string[]) {
        const d = JSON.parse(json);
        const exprs = d.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr)).join('\n');
        expect(exprs).toMatch(/istio_requests_total/);
        expect(exprs).toMatch(/istio_request_duration_milliseconds_bucket/);
        for (const p of d.panels) expect(p.datasource.uid).toBe('prometheus');
      }
      // provisioning files are mounted where grafana.ini says they are
      const pod = findObject(out, 'Deployment', 'grafana').spec.template.spec;
      expect(pod.volumes.find((v: any) => v.name === 'config').configMap.items.map((i: any) => i.path)).toEqual([
        'grafana.ini', 'provisioning/datasources/datasources.yaml', 'provisioning/dashboards/dashboards.yaml',
      ]);
      expect(pod.containers[0].env).toBeUndefined();
      expect(out).toMatchSnapshot();
    });

    test('panels tile the 24-column grid: no overlap, no gaps within a row, none past the right edge', () => {
      const chart = Testing.chart();
      new GrafanaAddon(chart, 'grafana', { prometheus });
      const dashboards = findObject(synthAndValidate(chart), 'ConfigMap', 'grafana-dashboards-istio').data;
      for (const [file, json] of Object.entries(dashboards) as [string, string][]) {
        const grid = JSON.parse(json).panels.map((p: any) => p.gridPos);
        for (const g of grid) expect([file, g.x + g.w <= 24]).toEqual([file, true]);
        // no two panels share a cell
        for (let i = 0; i < grid.length; i++) {
          for (let j = i + 1; j < grid.length; j++) {
            const [a, b] = [grid[i], grid[j]];
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            expect([file, i, j, overlap]).toEqual([file, i, j, false]);
          }
        }
        // panels of one row start where the previous one ends (reading order), so no staircase of empty cells
        const rows = new Map<number, any[]>();
        for (const g of grid) rows.set(g.y, [...(rows.get(g.y) ?? []), g]);
        for (const row of rows.values()) row.reduce((x: number, g: any) => (expect([file, g.x]).toEqual([file, x]), x + g.w), 0);
        expect([file, rows.size < grid.length]).toEqual([file, true]);
      }
    });

    test('an admin Secret enables the login form', () => {
      const chart = Testing.chart();
      const secret = kplus.Secret.fromSecretName(chart, 'admin', 'grafana-admin');
      new GrafanaAddon(chart, 'grafana', { prometheus, adminSecret: secret });
      const out = synthAndValidate(chart);
      expect(findObject(out, 'ConfigMap', 'grafana').data['grafana.ini']).toContain('disable_login_form = false');
      expect(findObject(out, 'Deployment', 'grafana').spec.template.spec.containers[0].env).toEqual([
        { name: 'GF_SECURITY_ADMIN_USER', valueFrom: { secretKeyRef: { name: 'grafana-admin', key: 'admin-user' } } },
        { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: 'grafana-admin', key: 'admin-password' } } },
      ]);
    });
  });

  describe('input errors', () => {
    test('unpinned image', () => {
      const chart = Testing.chart();
      expect(() => new GrafanaAddon(chart, 'g', { prometheus, image: 'grafana/grafana' })).toThrow(/\[test\/g\] 'image' must be a pinned image reference/);
    });
  });
});
