import { Diagnostic } from '../../model/core';
import { ServiceSnapshot } from '../../model/snapshot';
import { DestinationModel, describeMatch, isCatchAllRoute, MATCH_ALL, matchSubsumes } from '../../model/traffic';
import { propMessage } from '../../private/errors';
import { finding, RuleSet } from '../rule';

/** Rules over each service's routes, policies and releases (`TRAFFICnnn`). */

function versionList(service: ServiceSnapshot): string {
  return service.versions.map((v) => JSON.stringify(v.name)).join(', ');
}

function unknownVersions(service: ServiceSnapshot): Diagnostic[] {
  const known = new Set(service.versions.map((v) => v.name));
  const t = service.traffic;
  const out: Diagnostic[] = [];
  const check = (path: string, prop: string, version: string) => {
    if (known.has(version)) return;
    out.push(finding(TRAFFIC_RULES.UNKNOWN_VERSION, path,
      `'${prop}' must name a version (DestinationRule subset) of ${service.name} (${versionList(service)}), got ${JSON.stringify(version)}. Fix: use an existing version or add it with addVersion()`));
  };
  for (const r of t.routes) {
    r.destinations?.forEach((d, i) => check(r.path, r.destinations!.length === 1 ? 'to' : `destinations[${i}].version`, d.version));
    if (r.mirror) check(r.path, 'mirror.version', r.mirror.version);
  }
  for (const v of t.versionPolicies) check(v.path, 'version', v.version);
  for (const rel of t.releases) {
    const [s, c] = rel.kind === 'canary' ? ['stable', 'canary'] : ['active', 'preview'];
    check(rel.path, s, rel.stable);
    check(rel.path, c, rel.canary);
  }
  return out;
}

function zeroReplicas(service: ServiceSnapshot): Diagnostic[] {
  const t = service.traffic;
  const out: Diagnostic[] = [];
  const check = (path: string, what: string, version: string) => {
    if (service.versions.find((v) => v.name === version)?.replicas !== 0) return;
    out.push(finding(TRAFFIC_RULES.ZERO_REPLICAS, path,
      `${what} version ${JSON.stringify(version)} of ${service.name}, which has 0 replicas, so those requests would fail with 503. Fix: give version ${JSON.stringify(version)} at least 1 replica, or route elsewhere`));
  };
  const release = service.release;
  const defaults = service.defaultVersions.filter((d) => d.weight === undefined || d.weight > 0);
  let defaultsUsed = !t.routes.some((r) => isCatchAllRoute(r) && r.redirect === undefined && r.destinations !== undefined);
  for (const r of t.routes) {
    if (r.redirect) continue;
    if (r.destinations) {
      for (const d of r.destinations) if (d.weight === undefined || d.weight > 0) check(r.path, 'the route sends traffic to', d.version);
    } else {
      defaultsUsed = true;
    }
    if (r.mirror) check(r.path, 'the route mirrors traffic to', r.mirror.version);
  }
  if (defaultsUsed) for (const d of defaults) check(release?.path ?? service.path, 'the default route sends traffic to', d.version);
  if (release) {
    if (release.pinned.length > 0) check(release.path, 'pinned testers are sent to', release.canary);
    if (release.mirrorPercentage !== undefined) check(release.path, 'the release mirrors traffic to', release.canary);
  }
  return out;
}

function unreachableRoutes(service: ServiceSnapshot): Diagnostic[] {
  const routes = service.traffic.routes;
  const out: Diagnostic[] = [];
  routes.forEach((later, j) => {
    for (let i = 0; i < j; i++) {
      const earlier = routes[i];
      const laterMatches = later.matches.length === 0 ? [MATCH_ALL] : later.matches;
      const earlierMatches = earlier.matches.length === 0 ? [MATCH_ALL] : earlier.matches;
      if (!laterMatches.every((lm) => earlierMatches.some((em) => matchSubsumes(em, lm)))) continue;
      const why = isCatchAllRoute(earlier) ? 'matches every request' : `matches everything it matches (${earlierMatches.map(describeMatch).join(' | ')})`;
      out.push(finding(TRAFFIC_RULES.UNREACHABLE, later.path,
        `'match' is unreachable: the earlier route ${JSON.stringify(earlier.name)} ${why}, got ${laterMatches.map((m) => JSON.stringify(describeMatch(m))).join(' | ')}. Fix: add the more specific route before ${JSON.stringify(earlier.name)}, or narrow ${JSON.stringify(earlier.name)}`));
      break;
    }
  });
  return out;
}

function mirrorsToPrimary(service: ServiceSnapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  const primaries = (ds: readonly DestinationModel[]) => ds.filter((d) => d.weight === undefined || d.weight > 0).map((d) => d.version);
  for (const r of service.traffic.routes) {
    if (!r.mirror || r.redirect) continue;
    const primary = primaries(r.destinations ?? service.defaultVersions);
    if (!primary.includes(r.mirror.version)) continue;
    out.push(finding(TRAFFIC_RULES.MIRROR_IS_PRIMARY, r.path,
      `'mirror.version' must differ from the route's primary destination (${primary.map((v) => JSON.stringify(v)).join(', ')}): mirroring a version to itself doubles its load and side effects, got ${JSON.stringify(r.mirror.version)}. Fix: mirror to a version that receives no live traffic on this route`));
  }
  const release = service.release;
  if (release?.mirrorPercentage !== undefined && release.canaryWeight > 0) {
    out.push(finding(TRAFFIC_RULES.MIRROR_IS_PRIMARY, release.path,
      `'mirrorPercentage' shadows traffic to the canary, which already receives live traffic (canaryPercentage ${release.canaryWeight}), got ${release.mirrorPercentage}. Fix: use mirroring only in the shadow phase with canaryPercentage: 0, or drop mirrorPercentage`));
  }
  return out;
}

function releaseConflicts(service: ServiceSnapshot): Diagnostic[] {
  const release = service.release;
  if (!release) return [];
  const out: Diagnostic[] = [];
  for (const other of service.traffic.releases.slice(1)) {
    out.push(finding(TRAFFIC_RULES.RELEASE_CONFLICT, other.path,
      `'service' already has a release that owns its routing (${release.path}), got ${service.name}. Fix: keep one CanaryRelease or BlueGreenRelease per service`));
  }
  for (const r of service.traffic.routes) {
    if (!r.destinations) continue;
    out.push(finding(TRAFFIC_RULES.RELEASE_CONFLICT, r.path,
      `'to' pins the route to ${r.destinations.map((d) => JSON.stringify(d.version)).join(', ')}, but ${release.path} owns the routing of ${service.name} and would be bypassed, got ${JSON.stringify(r.destinations.map((d) => d.version))}. Fix: drop 'to'/'destinations' so the route follows the release split, or remove the release`));
  }
  return out;
}

export const TRAFFIC_RULES: RuleSet<'UNKNOWN_VERSION' | 'ZERO_REPLICAS' | 'UNREACHABLE' | 'MIRROR_IS_PRIMARY' | 'RELEASE_CONFLICT' | 'POLICY_REPLACED'> = {
  UNKNOWN_VERSION: {
    code: 'TRAFFIC001',
    severity: 'error',
    reportedOn: 'the route / release / service',
    summary: 'A route destination, mirror, per-version traffic policy or release names a version (DestinationRule subset) the service does not have.',
    fix: 'Use an existing version or `addVersion()` it.',
    check: (s) => s.services.flatMap(unknownVersions),
  },
  ZERO_REPLICAS: {
    code: 'TRAFFIC002',
    severity: 'error',
    reportedOn: 'the route / release / service',
    summary: 'Live traffic (default route, weighted destination, canary share, pinned testers, mirror) goes to a version with 0 replicas: 503s.',
    fix: 'Give the version replicas or route elsewhere.',
    check: (s) => s.services.flatMap(zeroReplicas),
  },
  UNREACHABLE: {
    code: 'TRAFFIC003',
    severity: 'error',
    reportedOn: 'the unreachable route',
    summary: 'A route can never match: an earlier route of the same service matches everything it matches (catch-all, or a broader prefix/header/query/method match).',
    fix: 'Add the specific route first, or narrow the earlier one.',
    check: (s) => s.services.flatMap(unreachableRoutes),
  },
  MIRROR_IS_PRIMARY: {
    code: 'TRAFFIC004',
    severity: 'error',
    reportedOn: 'the route / release',
    summary: 'A mirror targets a version that already receives the route\'s live traffic (doubled load and side effects), or a canary is mirrored while it already has a live share.',
    fix: 'Mirror to a version without live traffic on that route.',
    check: (s) => s.services.flatMap(mirrorsToPrimary),
  },
  RELEASE_CONFLICT: {
    code: 'TRAFFIC005',
    severity: 'error',
    reportedOn: 'the release / route',
    summary: 'Two releases (canary, blue-green) own one service\'s routing, or a route pins destinations that bypass the release\'s split.',
    fix: 'One release per service; let routes follow the release.',
    check: (s) => s.services.flatMap(releaseConflicts),
  },
  POLICY_REPLACED: {
    code: 'TRAFFIC006',
    severity: 'warning',
    reportedOn: 'the `MeshService`',
    summary: 'A second `configureTrafficPolicy()` replaced the first entirely (settings are not merged).',
    fix: 'Set the policy once with every setting.',
    check: (s) => s.hygiene.replacements.map((r) => finding(TRAFFIC_RULES.POLICY_REPLACED, r.path,
      propMessage(r.prop, `was set twice: the second call replaced ${r.what} of the first entirely (the settings are not merged)`, 'a second call',
        'set the policy once with every setting (loadBalancer, connectionPool, outlierDetection together)'))),
  },
};
