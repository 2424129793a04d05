/**
 * The Helm baseline's input: the values of bench/helm/chart for the benchmark mesh,
 * read from the objects cdk8s-mesh synthesized for it. The values hold the intent a
 * Helm user maintains (services, their versions and images, the canary weights, who
 * calls whom, which hosts the ingress routes); the chart's templates build every
 * object from them.
 */

/** A rendered Kubernetes object (the fields read here). */
interface K8sObject {
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: any;
}

interface Version {
  name: string;
  image: string;
  replicas: number;
  weight: number;
  addr: string;
}

interface ServiceValues {
  name: string;
  port: number;
  targetPort: number;
  versions: Version[];
  callers: { namespace: string; serviceAccount: string }[];
  egress: { namespace: string; name: string }[];
}

/** The chart's values for the objects of the benchmark mesh. */
export function helmValues(objects: readonly K8sObject[]): Record<string, unknown> {
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const gatewayObj = byKind('Gateway')[0];
  const gateway = {
    name: gatewayObj.metadata.name,
    namespace: gatewayObj.metadata.namespace,
    hosts: gatewayObj.spec.servers[0].hosts,
    credentialName: gatewayObj.spec.servers[0].tls.credentialName,
    routes: byKind('VirtualService')
      .filter((vs) => vs.spec.gateways !== undefined)
      .map((vs) => {
        const [svc, ns] = vs.spec.http[0].route[0].destination.host.split('.');
        return { host: vs.spec.hosts[0], service: svc, namespace: ns, versions: weights(vs) };
      }),
  };

  const namespaces = new Map<string, ServiceValues[]>();
  const services = new Map<string, ServiceValues>();
  const key = (ns: string | undefined, name: string) => `${ns}/${name}`;
  for (const s of byKind('Service').filter((o) => o.metadata.namespace !== gateway.namespace)) {
    const ns = s.metadata.namespace!;
    const port = s.spec.ports[0];
    const values: ServiceValues = { name: s.metadata.name, port: port.port, targetPort: port.targetPort, versions: [], callers: [], egress: [] };
    if (!namespaces.has(ns)) namespaces.set(ns, []);
    namespaces.get(ns)!.push(values);
    services.set(key(ns, values.name), values);
  }
  const meshVirtualServices = new Map(byKind('VirtualService').filter((vs) => vs.spec.gateways === undefined)
    .map((vs) => [key(vs.metadata.namespace, vs.metadata.name), weights(vs)]));
  for (const d of byKind('Deployment').filter((o) => o.metadata.namespace !== gateway.namespace)) {
    const labels = d.spec.template.metadata.labels;
    const svc = services.get(key(d.metadata.namespace, labels.app))!;
    const weight = meshVirtualServices.get(key(d.metadata.namespace, labels.app))!.find((v) => v.name === labels.version)!.weight;
    svc.versions.push({
      name: labels.version,
      image: d.spec.template.spec.containers[0].image,
      replicas: d.spec.replicas,
      weight,
      addr: labels['cdk8s.io/metadata.addr'],
    });
  }
  for (const ap of byKind('AuthorizationPolicy')) {
    const svc = services.get(key(ap.metadata.namespace, ap.spec.selector.matchLabels.app))!;
    for (const rule of ap.spec.rules) {
      const [, namespace, serviceAccount] = /^[^/]+\/ns\/([^/]+)\/sa\/(.+)$/.exec(rule.from[0].source.principals[0])!;
      svc.callers.push({ namespace, serviceAccount });
    }
  }
  for (const sc of byKind('Sidecar')) {
    const svc = services.get(key(sc.metadata.namespace, sc.spec.workloadSelector.labels.app))!;
    for (const host of sc.spec.egress[0].hosts as string[]) {
      if (host === 'istio-system/*') continue;
      const [ns, fqdn] = host.split('/');
      svc.egress.push({ namespace: ns, name: fqdn.split('.')[0] });
    }
  }
  return {
    trustDomain: 'cluster.local',
    clusterDomain: 'cluster.local',
    gateway,
    namespaces: [...namespaces].map(([name, list]) => ({ name, services: list })),
  };
}

function weights(vs: K8sObject): { name: string; weight: number }[] {
  return vs.spec.http[0].route.map((r: any) => ({ name: r.destination.subset, weight: r.weight }));
}
