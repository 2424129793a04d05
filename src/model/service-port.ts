/**
 * Application protocols of a mesh service port.
 *
 * Istio cannot reliably sniff protocols, so every port we emit carries the
 * protocol both in its name prefix and in `appProtocol`.
 *
 * @see https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/
 */
export enum Protocol {
  /** HTTP/1.1 (and HTTP/2 when negotiated). */
  HTTP = 'http',
  /** HTTP/2 cleartext (h2c). */
  HTTP2 = 'http2',
  /** gRPC over HTTP/2. */
  GRPC = 'grpc',
  /** Opaque TCP: Istio applies L4 policy only. */
  TCP = 'tcp',
}

/**
 * A port of a `MeshService`.
 */
export interface MeshServicePort {
  /**
   * Port the Kubernetes Service exposes to callers (1-65535).
   */
  readonly port: number;

  /**
   * Port the application container listens on (1-65535). Must not be one of
   * the ports the Envoy sidecar reserves (15000, 15001, 15004, 15006, 15008,
   * 15009, 15020, 15021, 15053, 15090).
   *
   * @default - the same as `port`
   */
  readonly targetPort?: number;

  /**
   * Application protocol, used for the port name prefix and `appProtocol`.
   *
   * @default Protocol.HTTP
   */
  readonly protocol?: Protocol;

  /**
   * Port name (an IANA service name: at most 15 lower-case letters, digits
   * and '-'). It is also the container port name.
   *
   * @default - the protocol name (`http`), or `<protocol>-<port>` when several
   * ports share a protocol
   */
  readonly name?: string;
}
