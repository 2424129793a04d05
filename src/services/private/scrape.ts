import { IConstruct } from 'constructs';
import { propError } from '../../private/errors';
import { checkPort } from '../../private/values';
import { ENVOY_RESERVED_PORTS } from '../../render/proxy';

/**
 * The application's own Prometheus endpoint, as declared on a `MeshService`.
 */
export interface AppMetricsEndpointModel {
  readonly port: number;
  readonly path: string;
}

/**
 * Pod annotations for Istio's metrics merging.
 *
 * istiod's injector (with `enablePrometheusMerge`, on in the mesh config this
 * library renders) rewrites a pod's `prometheus.io/scrape|port|path` onto the
 * agent's merged endpoint (port 15020, `/stats/prometheus`) and passes the
 * original port and path to the agent, which then serves the application's
 * metrics beside Envoy's and its own in that one scrape. A pod that already
 * says port 15020 is left as it is, so the application's metrics would never
 * be merged. Hence: the application's own endpoint when it has one, and
 * nothing otherwise (the injector then adds the merged endpoint's annotations
 * by itself).
 *
 * @see https://istio.io/latest/docs/ops/integrations/prometheus/#option-1-metrics-merging
 */
export function meshScrapeAnnotations(app?: AppMetricsEndpointModel): Record<string, string> {
  if (!app) return {};
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(app.port),
    'prometheus.io/path': app.path,
  };
}

/** Validates an application's own metrics endpoint (not a port the proxy reserves). */
export function appMetricsEndpoint(scope: IConstruct, metrics: { readonly port: number; readonly path?: string }): AppMetricsEndpointModel {
  checkPort(scope, 'metrics.port', metrics.port, 'use the port your application serves metrics on, e.g. 9102');
  if (ENVOY_RESERVED_PORTS.includes(metrics.port)) {
    throw propError(scope, 'metrics.port', `must be the application's own metrics port, not one the Envoy sidecar reserves (${ENVOY_RESERVED_PORTS.join(', ')})`, metrics.port,
      'give the application\'s port; Istio\'s injector points Prometheus at the agent\'s merged endpoint (15020) itself');
  }
  const path = metrics.path ?? '/metrics';
  if (!/^\/[^\s]*$/.test(path)) {
    throw propError(scope, 'metrics.path', 'must be an absolute URL path without spaces', path, 'use e.g. \'/metrics\'');
  }
  return { port: metrics.port, path };
}
