import { Duration, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import { GoldenSignalAlerts, IstioControlPlane, MeshService, PrometheusAddon } from '../../src';
import { findObject, synthAndValidate } from '../util';

function config(out: any[]) {
  const cm = findObject(out, 'ConfigMap', 'prometheus');
  return { prom: YAML.parse(cm.data['prometheus.yml']), alerts: YAML.parse(cm.data['alerts.yml']) };
}

describe('PrometheusAddon', () => {
  describe('scrape configuration', () => {
    test('merged metrics by annotation, Envoy 15090 without double counting, istiod 15014', () => {
      // GIVEN
      const chart = Testing.chart();
      // WHEN
      const p = new PrometheusAddon(chart, 'prometheus', { scrapeInterval: Duration.seconds(30) });
      const out = synthAndValidate(chart);
      const { prom } = config(out);
      // THEN
      expect(p.prometheusUrl).toBe('http://prometheus.istio-system.svc.cluster.local:9090');
      expect(prom.global).toEqual({ scrape_interval: '30s', evaluation_interval: '30s' });
      expect(prom.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
      const jobs = Object.fromEntries(prom.scrape_configs.map((j: any) => [j.job_name, j]));
      expect(Object.keys(jobs)).toEqual(['prometheus', 'istiod', 'kubernetes-pods', 'envoy-stats']);
      expect(jobs.istiod.kubernetes_sd_configs).toEqual([{ role: 'endpoints', namespaces: { names: ['istio-system'] } }]);
      expect(jobs.istiod.relabel_configs[0]).toMatchObject({ action: 'keep', regex: 'istiod(-.+)?;http-monitoring' });
      expect(jobs['kubernetes-pods'].relabel_configs[0]).toEqual({ source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'keep', regex: 'true' });
      expect(jobs['envoy-stats'].metrics_path).toBe('/stats/prometheus');
      expect(jobs['envoy-stats'].relabel_configs.slice(0, 2)).toEqual([
        { source_labels: ['__meta_kubernetes_pod_container_port_name'], action: 'keep', regex: '.*-envoy-prom' },
        { source_labels: ['__meta_kubernetes_pod_annotation_prometheus_io_scrape'], action: 'drop', regex: 'true' },
      ]);
      expect(out).toMatchSnapshot();
    });

    test('the address relabeling turns pod IP + annotated port into host:port (IPv4 and IPv6)', () => {
      const chart = Testing.chart();
      new PrometheusAddon(chart, 'prometheus');
      const job = config(synthAndValidate(chart)).prom.scrape_configs.find((j: any) => j.job_name === 'kubernetes-pods');
      const rules = job.relabel_configs.filter((r: any) => r.target_label === '__address__');
      const apply = (ip: string) => {
        for (const r of rules) {
          const m = new RegExp(`^(?:${r.regex})$`).exec(`15020;${ip}`);
          if (m) return r.replacement.replace('$1', m[1]).replace('$2', m[2]);
        }
        return undefined;
      };
      expect(apply('10.1.2.3')).toBe('10.1.2.3:15020');
      expect(apply('fd00::1')).toBe('[fd00::1]:15020');
    });

    test('istiod namespace follows the control plane', () => {
      const chart = Testing.chart();
      new IstioControlPlane(chart, 'cp', { namespace: 'istio-control', crds: false });
      new PrometheusAddon(chart, 'prometheus');
      const job = config(synthAndValidate(chart)).prom.scrape_configs.find((j: any) => j.job_name === 'istiod');
      expect(job.kubernetes_sd_configs[0].namespaces.names).toEqual(['istio-control']);
    });

    test('retention and storage reach the container', () => {
      const chart = Testing.chart();
      new PrometheusAddon(chart, 'prometheus', { retention: Duration.hours(6) });
      const d = findObject(synthAndValidate(chart), 'Deployment', 'prometheus');
      expect(d.spec.template.spec.containers[0].args).toContain('--storage.tsdb.retention.time=360m');
      expect(d.spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '4096Mi' } });
    });
  });

  describe('alert rules', () => {
    test('GoldenSignalAlerts added after the addon land in alerts.yml and change the config checksum', () => {
      const chart = Testing.chart();
      new PrometheusAddon(chart, 'prometheus');
      const before = findObject(synthAndValidate(chart), 'Deployment', 'prometheus').spec.template.metadata.annotations['checksum/config'];
      const svc = new MeshService(chart, 'reviews', { versions: [{ name: 'v1', image: 'ghcr.io/acme/reviews:1' }] });
      new GoldenSignalAlerts(chart, 'alerts', { service: svc });
      const out = synthAndValidate(chart);
      expect(config(out).alerts.groups.map((g: any) => g.name)).toEqual(['reviews.default.golden-signals']);
      expect(findObject(out, 'Deployment', 'prometheus').spec.template.metadata.annotations['checksum/config']).not.toBe(before);
    });
  });

  describe('alerting', () => {
    test('firing alerts go to the given Alertmanager (alerting: section); none is configured by default', () => {
      // GIVEN
      const chart = Testing.chart();
      // WHEN
      new PrometheusAddon(chart, 'with', { namespace: 'mon', alertmanager: { alertmanagerUrl: 'http://alertmanager.monitoring.svc.cluster.local:9093' } });
      new PrometheusAddon(chart, 'prefixed', { namespace: 'mon2', alertmanager: { alertmanagerUrl: 'https://am.example.com/am' } });
      new PrometheusAddon(chart, 'without', { namespace: 'mon3' });
      const out = synthAndValidate(chart);
      const prom = (ns: string) => YAML.parse(out.find((o: any) => o.kind === 'ConfigMap' && o.metadata.namespace === ns).data['prometheus.yml']);
      // THEN
      expect(prom('mon').alerting).toEqual({
        alertmanagers: [{ scheme: 'http', api_version: 'v2', static_configs: [{ targets: ['alertmanager.monitoring.svc.cluster.local:9093'] }] }],
      });
      expect(prom('mon2').alerting.alertmanagers[0]).toEqual({ scheme: 'https', path_prefix: '/am', api_version: 'v2', static_configs: [{ targets: ['am.example.com:443'] }] });
      expect(prom('mon3').alerting).toBeUndefined();
      expect(prom('mon').rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    });

    test('no console flags: Prometheus 3 images ship no console templates', () => {
      const chart = Testing.chart();
      new PrometheusAddon(chart, 'prometheus');
      const args: string[] = findObject(synthAndValidate(chart), 'Deployment', 'prometheus').spec.template.spec.containers[0].args;
      expect(args.filter((a) => a.startsWith('--web.console'))).toEqual([]);
    });
  });

  describe('input errors', () => {
    test('Alertmanager URL', () => {
      const chart = Testing.chart();
      expect(() => new PrometheusAddon(chart, 'a', { alertmanager: { alertmanagerUrl: 'alertmanager:9093' } })).toThrow(
        "[test/a] 'alertmanager.alertmanagerUrl' must be an http:// or https:// URL of an Alertmanager (host, optional port and path, no query), got \"alertmanager:9093\". Fix: use e.g. 'http://alertmanager.monitoring.svc.cluster.local:9093'");
    });

    test('bad interval, retention, image, namespace or resources', () => {
      const chart = Testing.chart();
      expect(() => new PrometheusAddon(chart, 'a', { scrapeInterval: Duration.millis(10) })).toThrow(
        "[test/a] 'scrapeInterval' must be at least 1 second, got \"10ms\". Fix: use e.g. Duration.seconds(15)");
      expect(() => new PrometheusAddon(chart, 'b', { retention: Duration.seconds(5) })).toThrow(/\[test\/b\] 'retention' must be at least 1 minute, got "5s"/);
      expect(() => new PrometheusAddon(chart, 'c', { image: 'prom/prometheus' })).toThrow(
        "[test/c] 'image' must be a pinned image reference (with a tag or digest, no whitespace), got \"prom/prometheus\". Fix: use e.g. 'docker.io/prom/prometheus:v3.10.0'");
      expect(() => new PrometheusAddon(chart, 'd', { namespace: 'Obs' })).toThrow(/\[test\/d\] 'namespace' must be a DNS-1123 label/);
      expect(() => new PrometheusAddon(chart, 'e', { resources: {} })).toThrow(/\[test\/e\] 'resources' must set both a CPU and a memory limit/);
    });
  });
});
