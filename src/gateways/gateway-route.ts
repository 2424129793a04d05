import { Duration } from 'cdk8s';
import type { MeshService } from '../services/mesh-service';
import type { HttpMatch } from '../traffic/http-match';

/**
 * A route from an ingress gateway to a `MeshService`.
 */
export interface GatewayRouteOptions {
  /**
   * Host the route answers (the `Host`/`:authority` of the request), which one
   * of the gateway's HTTP or HTTPS servers must serve; or `'*'`
   * (`IngressGateway.ANY_HOST`): every host the gateway's servers accept,
   * e.g. for a gateway reached by IP. Concrete hosts of the same gateway fall
   * back to the `'*'` routes after their own.
   */
  readonly host: string;

  /**
   * The mesh service that receives the traffic. The destination follows the
   * service's release state (stable version, or the canary split).
   */
  readonly service: MeshService;

  /**
   * Requests the route applies to (any of them). Routes with matches are
   * tried before the host's catch-all route.
   *
   * @default - every request for the host
   * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest
   */
  readonly match?: HttpMatch[];

  /**
   * Service port to send to. Required when the service has several HTTP ports.
   *
   * @default - the service's only HTTP port
   */
  readonly port?: number;

  /**
   * Replace the matched path prefix (or the whole path) before forwarding,
   * e.g. `/` to strip `/api`.
   *
   * @default - the path is forwarded unchanged
   * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRewrite
   */
  readonly rewritePrefix?: string;

  /**
   * Upper bound of the whole request, retries included.
   *
   * @default - no timeout (Istio's default)
   * @see https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute
   */
  readonly timeout?: Duration;
}
