import {
  PeerAuthenticationSpec, PeerAuthenticationSpecMtlsMode, PeerAuthenticationSpecPortLevelMtls, PeerAuthenticationSpecPortLevelMtlsMode,
} from '../imports/security.istio.io';
import { MtlsModeName, PeerAuthenticationModel } from '../model/security';

/**
 * Istio `security.istio.io/v1` PeerAuthentication rendering: a pure function
 * from the model to the generated spec type.
 */

const MODES: Readonly<Record<MtlsModeName, PeerAuthenticationSpecMtlsMode>> = {
  STRICT: PeerAuthenticationSpecMtlsMode.STRICT,
  PERMISSIVE: PeerAuthenticationSpecMtlsMode.PERMISSIVE,
  DISABLE: PeerAuthenticationSpecMtlsMode.DISABLE,
};

const PORT_MODES: Readonly<Record<MtlsModeName, PeerAuthenticationSpecPortLevelMtlsMode>> = {
  STRICT: PeerAuthenticationSpecPortLevelMtlsMode.STRICT,
  PERMISSIVE: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE,
  DISABLE: PeerAuthenticationSpecPortLevelMtlsMode.DISABLE,
};

/**
 * `spec` of a PeerAuthentication: the workload selector (workload scope
 * only), the mode, and the port-level exceptions keyed by workload port in
 * ascending order.
 */
export function renderPeerAuthenticationSpec(pa: PeerAuthenticationModel): PeerAuthenticationSpec {
  const ports = [...pa.portLevel].sort((a, b) => a.port - b.port);
  const portLevelMtls: { [port: string]: PeerAuthenticationSpecPortLevelMtls } = {};
  for (const p of ports) portLevelMtls[String(p.port)] = { mode: PORT_MODES[p.mode] };
  return {
    ...(pa.selector ? { selector: { matchLabels: { ...pa.selector } } } : {}),
    mtls: { mode: MODES[pa.mode] },
    ...(ports.length > 0 ? { portLevelMtls } : {}),
  };
}
