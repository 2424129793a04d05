import {
  GatewaySpec,
  GatewaySpecServers,
  GatewaySpecServersTls,
  GatewaySpecServersTlsMinProtocolVersion,
  GatewaySpecServersTlsMode,
} from '../imports/networking.istio.io';
import { GatewayModel, GatewayServerModel, GatewayTlsModeName, TlsVersionName } from '../model/gateways';

/**
 * Istio Gateway rendering: the servers (ports, protocols, TLS, hosts) of an
 * ingress or egress gateway, selecting its pods. A pure function from the
 * model to `GatewaySpec`.
 */

const TLS_MODE: Readonly<Record<GatewayTlsModeName, GatewaySpecServersTlsMode>> = {
  SIMPLE: GatewaySpecServersTlsMode.SIMPLE,
  MUTUAL: GatewaySpecServersTlsMode.MUTUAL,
  PASSTHROUGH: GatewaySpecServersTlsMode.PASSTHROUGH,
  ISTIO_MUTUAL: GatewaySpecServersTlsMode.ISTIO_UNDERSCORE_MUTUAL,
};

const TLS_VERSION: Readonly<Record<TlsVersionName, GatewaySpecServersTlsMinProtocolVersion>> = {
  TLSV1_2: GatewaySpecServersTlsMinProtocolVersion.TLSV1_UNDERSCORE_2,
  TLSV1_3: GatewaySpecServersTlsMinProtocolVersion.TLSV1_UNDERSCORE_3,
};

/**
 * `spec` of a gateway's Istio Gateway resource: its pod selector and one
 * server per registered server, in order. Port names are
 * `<protocol>-<port>` (or the server's own `portName`), suffixed `-2`,
 * `-3`... when several servers share a name.
 */
export function renderGatewaySpec(gateway: Pick<GatewayModel, 'selector' | 'servers'>): GatewaySpec {
  const names = new Map<string, number>();
  const servers = gateway.servers.map((s): GatewaySpecServers => {
    const base = s.portName ?? `${s.protocol.toLowerCase()}-${s.port}`;
    const n = (names.get(base) ?? 0) + 1;
    names.set(base, n);
    return {
      port: { number: s.port, name: n === 1 ? base : `${base}-${n}`, protocol: s.protocol },
      hosts: [...s.hosts],
      tls: renderServerTls(s),
    };
  });
  return { selector: { ...gateway.selector }, servers };
}

/** A server's `tls`: its TLS mode and certificate, or the HTTPS redirect of a plain-HTTP server. */
function renderServerTls(s: GatewayServerModel): GatewaySpecServersTls | undefined {
  if (s.tlsMode) {
    return {
      mode: TLS_MODE[s.tlsMode],
      credentialName: s.credentialName,
      caCertCredentialName: s.caCertCredentialName,
      subjectAltNames: s.subjectAltNames?.length ? [...s.subjectAltNames] : undefined,
      minProtocolVersion: s.minProtocolVersion ? TLS_VERSION[s.minProtocolVersion] : undefined,
    };
  }
  return s.httpsRedirect ? { httpsRedirect: true } : undefined;
}
