import { Diagnostic } from '../../model/core';
import { MeshSnapshot } from '../../model/snapshot';
import { propMessage } from '../../private/errors';
import { finding, RuleSet } from '../rule';

/** Rules over the ambient data plane (`AMBnnn`). */

function l7WithoutWaypoint(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const svc of s.services) {
    const ns = s.namespace(svc.namespace);
    if (svc.dataPlane !== 'ambient' || ns?.waypointsAllowed !== false) continue;
    for (const need of svc.l7Needs) {
      out.push(finding(AMBIENT_RULES.L7_WITHOUT_WAYPOINT, need.path,
        propMessage(need.prop, `declares L7 intent (${need.what}) on ambient service ${svc.name}, which ztunnel cannot enforce (it sees L4 only: identities, namespaces, ports), `
          + `and namespace ${svc.namespace} declares no waypoint (${ns.path ?? 'its MeshNamespace'} has waypoints: false)`, need.value,
        'set waypoints: true on the MeshNamespace so cdk8s-mesh declares one, run the service with sidecars (dataPlaneMode: DataPlaneMode.SIDECAR), or drop the L7 condition')));
    }
  }
  // ambient callers of external services routed through an egress gateway or with TLS originated
  const reported = new Set<string>();
  for (const svc of s.services) {
    for (const x of svc.externalL7) {
      if (s.namespace(x.namespace)?.waypointsAllowed !== false || reported.has(x.path)) continue;
      reported.add(x.path);
      const prop = x.egressGatewayPath !== undefined ? 'egressGateway' : 'tlsOrigination';
      out.push(finding(AMBIENT_RULES.L7_WITHOUT_WAYPOINT, x.path,
        propMessage(prop, `needs a waypoint for ambient caller ${svc.name} (ztunnel would send its calls straight out, skipping the ${x.egressGatewayPath !== undefined ? 'egress gateway' : 'TLS origination'}), `
          + `and namespace ${x.namespace} declares no waypoint (waypoints: false)`, x.egressGatewayPath ?? true,
        `set waypoints: true on the MeshNamespace ${x.namespace}, declare the ExternalService in a namespace with waypoints, or run ${svc.name} with sidecars`)));
    }
  }
  return out;
}

function noAmbientControlPlane(s: MeshSnapshot): Diagnostic[] {
  if (s.controlPlanes.length === 0 || s.controlPlanes.some((cp) => cp.dataPlane === 'ambient')) return [];
  const ambient = [
    ...s.namespaces.filter((n) => n.dataPlane === 'ambient' && n.path !== undefined).map((n) => n.path!),
    ...s.services.filter((svc) => svc.dataPlane === 'ambient').map((svc) => svc.path),
  ];
  return ambient.map((path) => finding(AMBIENT_RULES.NO_AMBIENT_CONTROL_PLANE, path,
    propMessage('dataPlaneMode', `is AMBIENT, but no control plane of the app installs the ambient data plane (${s.controlPlanes.map((cp) => cp.path).join(', ')}), `
      + 'so no ztunnel would carry the traffic of these pods and they would run without mTLS or policy', 'AMBIENT',
    'set dataPlane: DataPlaneMode.AMBIENT on the IstioControlPlane, or leave dataPlaneMode at SIDECAR')));
}

function sidecarCallersBypassingWaypoint(s: MeshSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of s.edges) {
    const from = s.service(e.from.host);
    const to = s.service(e.to.host);
    if (!from || !to || from.dataPlane === 'ambient' || !to.waypointOnly || seen.has(`${from.host}|${to.host}`)) continue;
    seen.add(`${from.host}|${to.host}`);
    out.push(finding(AMBIENT_RULES.SIDECAR_CALLER_BYPASSES_WAYPOINT, from.path,
      propMessage(e.reason, `names ambient service ${to.name}, whose authorization its waypoint enforces, so its pods accept connections from the waypoint only; `
        + `${from.name} runs a sidecar, and Istio 1.30 sidecars call ambient pods directly (not through their waypoint): every call would be rejected`, to.name,
      `run ${from.name} in ambient mode too (dataPlaneMode: DataPlaneMode.AMBIENT), or ${to.name} with sidecars`)));
  }
  return out;
}

function egressScopingOnAmbient(s: MeshSnapshot): Diagnostic[] {
  return s.services.filter((svc) => svc.dataPlane === 'ambient' && svc.egressScopingProp !== undefined).map((svc) => finding(AMBIENT_RULES.EGRESS_SCOPING, svc.path,
    propMessage('egressScoping', 'has no effect on an ambient service (an Istio Sidecar resource configures sidecars only)', svc.egressScopingProp,
      'remove egressScoping, or set dataPlaneMode: DataPlaneMode.SIDECAR')));
}

function revisionOnAmbient(s: MeshSnapshot): Diagnostic[] {
  return s.services.filter((svc) => svc.dataPlane === 'ambient' && svc.revisionProp !== undefined).map((svc) => finding(AMBIENT_RULES.REVISION, svc.path,
    propMessage('controlPlane', 'must be the default revision for an ambient service: its pods are captured by the node\'s ztunnel, not injected by a revision',
      svc.revisionProp, 'remove controlPlane, or set dataPlaneMode: DataPlaneMode.SIDECAR')));
}

export const AMBIENT_RULES: RuleSet<'L7_WITHOUT_WAYPOINT' | 'NO_AMBIENT_CONTROL_PLANE' | 'SIDECAR_CALLER_BYPASSES_WAYPOINT' | 'EGRESS_SCOPING' | 'REVISION'> = {
  L7_WITHOUT_WAYPOINT: {
    code: 'AMB001',
    severity: 'error',
    reportedOn: 'the route / release / service / authorization that declares it',
    summary: 'L7 intent (HTTP route, release, version subsets, traffic policy, methods/paths/JWT authorization) on an ambient service whose `MeshNamespace` has `waypoints: false`: ztunnel enforces L4 only, so the intent would be silently ignored.',
    fix: 'Allow waypoints, run the service with sidecars, or drop the L7 condition.',
    check: l7WithoutWaypoint,
  },
  NO_AMBIENT_CONTROL_PLANE: {
    code: 'AMB002',
    severity: 'error',
    reportedOn: 'the ambient `MeshNamespace` / `MeshService`',
    summary: 'Ambient workloads while the app\'s control planes do not install the ambient data plane (no ztunnel, no istio-cni): the pods would run without mTLS or policy.',
    fix: '`dataPlane: DataPlaneMode.AMBIENT` on the `IstioControlPlane`.',
    check: noAmbientControlPlane,
  },
  SIDECAR_CALLER_BYPASSES_WAYPOINT: {
    code: 'AMB004',
    severity: 'error',
    reportedOn: 'the calling `MeshService`',
    summary: 'A sidecar service calls an ambient service whose authorization its waypoint enforces: the callee\'s pods accept the waypoint only (`<service>-waypoint-only`), and Istio 1.30 sidecars call ambient pods directly, so every call would be rejected.',
    fix: 'Run the caller in ambient mode too, or the callee with sidecars.',
    check: sidecarCallersBypassingWaypoint,
  },
  EGRESS_SCOPING: {
    code: 'AMB005',
    severity: 'error',
    reportedOn: 'the `MeshService`',
    summary: '`egressScoping` on a service that runs ambient (its own `dataPlaneMode`, or its namespace\'s): an Istio `Sidecar` resource configures sidecars only, so the prop would do nothing.',
    fix: 'Remove `egressScoping`, or run the service with sidecars.',
    check: egressScopingOnAmbient,
  },
  REVISION: {
    code: 'AMB006',
    severity: 'error',
    reportedOn: 'the `MeshService`',
    summary: 'A revisioned `controlPlane` on a service that runs ambient: its pods are captured by the node\'s ztunnel, not injected by a revision.',
    fix: 'Remove `controlPlane`, or run the service with sidecars.',
    check: revisionOnAmbient,
  },
};
