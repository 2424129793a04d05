import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { promDuration } from './addon-base';
import { PodMonitor, ServiceMonitor } from '../imports/monitoring.coreos.com';
import { snapshotOf } from '../model/resolve';
import { propError } from '../private/errors';
import { isLabelValue, validateDnsLabel } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { renderEnvoyPodMonitorSpec, renderIstiodServiceMonitorSpec } from '../render/monitors';
import { meshOf } from '../synth/mesh';

/**
 * Properties of `IstioMetricsMonitors`.
 */
export interface IstioMetricsMonitorsProps {
  /**
   * Namespace of the PodMonitor and ServiceMonitor (where the Prometheus
   * operator looks for them).
   *
   * @default istio-system
   */
  readonly namespace?: string;

  /**
   * Labels the Prometheus operator selects monitors by, e.g. `release: kube-prometheus-stack`.
   *
   * @default - none
   */
  readonly labels?: { [key: string]: string };

  /**
   * Scrape interval.
   *
   * @default Duration.seconds(15)
   */
  readonly interval?: Duration;

  /**
   * Namespace istiod runs in.
   *
   * @default - the control plane's namespace when the App declares one, else `istio-system`
   */
  readonly controlPlaneNamespace?: string;
}

/**
 * Scrape configuration for clusters that run the Prometheus operator
 * (monitoring.coreos.com/v1), instead of `PrometheusAddon`:
 *
 * - a PodMonitor `envoy-stats` scraping every Istio proxy (pods labelled
 *   `security.istio.io/tlsMode` by the injector) on its `http-envoy-prom` port
 *   15090 `/stats/prometheus`, where Istio's standard metrics are;
 * - a ServiceMonitor `istiod` scraping the control plane's `http-monitoring` port 15014.
 *
 * @see https://istio.io/latest/docs/ops/integrations/prometheus/#option-2-customized-scraping-configurations
 */
export class IstioMetricsMonitors extends Construct {
  /** The PodMonitor for the proxies. */
  public readonly podMonitor: ApiObject;
  /** The ServiceMonitor for istiod. */
  public readonly serviceMonitor: ApiObject;

  constructor(scope: Construct, id: string, props: IstioMetricsMonitorsProps = {}) {
    super(scope, id);
    checkArgs(this, 'IstioMetricsMonitors.new', arguments);
    const namespace = validateDnsLabel(this, 'namespace', props.namespace ?? 'istio-system');
    const declared = props.controlPlaneNamespace === undefined ? undefined : validateDnsLabel(this, 'controlPlaneNamespace', props.controlPlaneNamespace);
    const model = meshOf(this);
    const interval = props.interval ?? Duration.seconds(15);
    if (interval.toMilliseconds() < 1000) {
      throw propError(this, 'interval', 'must be at least 1 second', `${interval.toMilliseconds()}ms`, 'use e.g. Duration.seconds(15)');
    }
    for (const [k, v] of Object.entries(props.labels ?? {})) {
      if (!isLabelValue(v)) throw propError(this, `labels.${k}`, 'must be a Kubernetes label value', v, 'use letters, digits, \'-\', \'_\' and \'.\' (at most 63)');
    }
    const labels = { 'app.kubernetes.io/part-of': 'cdk8s-mesh-observability', ...props.labels };
    const every = promDuration(interval);
    this.podMonitor = new PodMonitor(this, 'PodMonitor', { metadata: { name: 'envoy-stats', namespace, labels }, spec: renderEnvoyPodMonitorSpec(every) });
    this.serviceMonitor = new ServiceMonitor(this, 'ServiceMonitor', {
      metadata: { name: 'istiod', namespace, labels },
      // the control plane's namespace, unless given: read once the whole app is declared
      spec: Lazy.any({ produce: () => renderIstiodServiceMonitorSpec(every, declared ?? snapshotOf(model).mesh.namespace) }),
    });
  }
}
