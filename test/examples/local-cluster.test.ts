/**
 * The "Try it on a local cluster" page (docs/getting-started/local-cluster.md) matches what the library
 * writes for examples/local-cluster: the files it applies are exactly the files
 * `cdk8s synth` writes, in a working order, each `rollout status` names a
 * Deployment of a file applied before it, and the traffic it promises (90/10,
 * the host, the 403) is what the YAML says. The commands themselves need a
 * cluster and are not run here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { buildLocalCluster, ECHO_IMAGE, SHOP_HOST } from '../../examples/local-cluster/main';
import { MeshApp } from '../../src';
import { findObject, findObjects, synthAppAndValidate } from '../util';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { block } = require('../../scripts/readme-blocks');

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'getting-started', 'local-cluster.md'), 'utf8');

describe('docs: Try it on a local cluster', () => {
  // GIVEN the example, synthesized and strictly validated, and the README's commands
  const charts = synthAppAndValidate(buildApp());
  const written = [...charts.keys()].map((id) => `dist/${id}.k8s.yaml`);
  const objectsOf = (file: string) => charts.get(path.basename(file, '.k8s.yaml'))!.objects;
  const applyBlock: string = block(README, 'local-cluster/apply');
  const trafficBlock: string = block(README, 'local-cluster/traffic');
  const steps = applyBlock.trim().split('\n').map((l) => l.trim());
  const applied = steps.map((l) => /^kubectl apply .*-f (\S+)$/.exec(l)?.[1]).filter((f): f is string => f !== undefined);

  function buildApp(): App {
    const app = new MeshApp({ outdir: 'cdk.out.unused' });
    buildLocalCluster(app);
    return app;
  }

  test('applies exactly the files cdk8s synth writes, each once', () => {
    expect([...applied].sort()).toEqual([...written].sort());
    expect(new Set(applied).size).toBe(applied.length);
  });

  test('CRDs and istiod first (server-side), then the gateway, then the workloads', () => {
    // THEN the first file holds the CRDs and istiod, and is applied server-side
    expect(findObjects(objectsOf(applied[0]), 'CustomResourceDefinition').length).toBe(15);
    expect(findObjects(objectsOf(applied[0]), 'Deployment', 'istiod')).toHaveLength(1);
    expect(steps[0]).toBe(`kubectl apply --server-side -f ${applied[0]}`);
    for (const file of applied.slice(1)) expect(findObjects(objectsOf(file), 'CustomResourceDefinition')).toHaveLength(0);
    // the gateway's workload comes before the file with the shop's workloads
    const gatewayFile = applied.findIndex((f) => findObjects(objectsOf(f), 'Gateway').length > 0);
    const shopFile = applied.findIndex((f) => findObjects(objectsOf(f), 'AuthorizationPolicy').length > 0);
    expect(gatewayFile).toBe(1);
    expect(shopFile).toBe(2);
  });

  test('waits for the CRDs, then for every Deployment of a file before applying the next', () => {
    const crdWait = steps.findIndex((l) => /kubectl wait --for condition=established .*crd --all/.test(l));
    expect(crdWait).toBe(1);
    let current: string | undefined;
    const waited = new Map<string, string[]>();
    for (const line of steps) {
      const apply = /^kubectl apply .*-f (\S+)$/.exec(line);
      if (apply) {
        // every Deployment of the previous file was waited for before this apply
        if (current) {
          const deployments = findObjects(objectsOf(current), 'Deployment').map((d) => `${d.metadata.namespace}/${d.metadata.name}`);
          expect((waited.get(current) ?? []).sort()).toEqual(deployments.sort());
        }
        current = apply[1];
        continue;
      }
      const rollout = /^kubectl -n (\S+) rollout status deployment\/(\S+) /.exec(line);
      if (rollout) {
        // THEN it names a Deployment of the file just applied, in that namespace
        expect(current).toBeDefined();
        expect(findObject(objectsOf(current!), 'Deployment', rollout[2]).metadata.namespace).toBe(rollout[1]);
        waited.set(current!, [...(waited.get(current!) ?? []), `${rollout[1]}/${rollout[2]}`]);
      }
    }
    const last = findObjects(objectsOf(current!), 'Deployment').map((d) => `${d.metadata.namespace}/${d.metadata.name}`);
    expect((waited.get(current!) ?? []).sort()).toEqual(last.sort());
  });

  test('the traffic commands match the gateway, the 90/10 split and the 403', () => {
    const edge = objectsOf(applied[1]);
    const shop = objectsOf(applied[2]);
    // port-forward to the gateway's Service, port 80
    const gatewayService = findObject(edge, 'Service', 'ingress');
    expect(trafficBlock).toContain(`kubectl -n ${gatewayService.metadata.namespace} port-forward service/${gatewayService.metadata.name} 8080:80`);
    expect(gatewayService.spec.ports.map((p: any) => p.port)).toContain(80);
    // the Host header is the host the gateway serves
    expect(findObject(edge, 'Gateway', 'ingress').spec.servers[0].hosts).toEqual([SHOP_HOST]);
    expect(trafficBlock.match(/-H 'Host: ([^']+)'/g)).toEqual([`-H 'Host: ${SHOP_HOST}'`, `-H 'Host: ${SHOP_HOST}'`, `-H 'Host: ${SHOP_HOST}'`]);
    // '/' goes 90/10 to order-service v1/v2 through the gateway
    const routes = findObject(edge, 'VirtualService', 'ingress-shop-local').spec.http;
    const defaultRoute = routes[routes.length - 1];
    expect(defaultRoute.match).toBeUndefined();
    expect(defaultRoute.route.map((r: any) => [r.destination.host, r.destination.subset, r.weight])).toEqual([
      ['order-service.shop.svc.cluster.local', 'v1', 90],
      ['order-service.shop.svc.cluster.local', 'v2', 10],
    ]);
    // the echo texts the README says the loop prints
    const argsOf = (name: string) => findObject(shop, 'Deployment', name).spec.template.spec.containers[0].args;
    expect(argsOf('order-service-v1')).toContain('-text=order-service v1');
    expect(argsOf('order-service-v2')).toContain('-text=order-service v2');
    expect(README).toContain('about 90 `order-service v1` and 10 `order-service v2`');
    expect(findObject(shop, 'Deployment', 'user-service-v1').spec.template.spec.containers[0].image).toBe(ECHO_IMAGE);
    // '/users' goes to user-service, whose allow rules admit the gateway for GET only: a POST gets 403
    expect(routes[0].match).toEqual([{ uri: { prefix: '/users' } }]);
    expect(routes[0].route[0].destination.host).toBe('user-service.shop.svc.cluster.local');
    expect(trafficBlock).toContain("-X POST -H 'Host: shop.local' http://localhost:8080/users");
    const allow = findObject(shop, 'AuthorizationPolicy', 'user-service-allow');
    const gatewayAccount = findObject(edge, 'Deployment', 'ingress').spec.template.spec.serviceAccountName;
    const gatewayPrincipal = `cluster.local/ns/istio-system/sa/${gatewayAccount}`;
    const principals = allow.spec.rules.flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals ?? []));
    expect(principals.sort()).toEqual(['cluster.local/ns/istio-system/sa/' + gatewayAccount, 'cluster.local/ns/shop/sa/order-service'].sort());
    // the gateway's rule admits GET only, so the POST is denied
    const gatewayRules = allow.spec.rules.filter((r: any) => r.from.some((f: any) => (f.source.principals ?? []).includes(gatewayPrincipal)));
    expect(gatewayRules.flatMap((r: any) => r.to.flatMap((t: any) => t.operation.methods))).toEqual(['GET']);
    // and order-service admits the gateway, which is why '/' works
    const orderPrincipals = findObject(shop, 'AuthorizationPolicy', 'order-service-allow').spec.rules
      .flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals ?? []));
    expect(orderPrincipals).toContain(`cluster.local/ns/istio-system/sa/${gatewayAccount}`);
  });
});
