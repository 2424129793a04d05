/**
 * The README's quick start is real: its snippet, exactly as printed, builds a
 * mesh whose every object passes the strict harness. (All README snippets are
 * also type-checked by `npx projen rosetta:extract`; this test runs one.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { runSnippet, snippetAfter, README, QUICK_START_HEADING, SYNTH_CALL } from './readme-snippet';
import { findObject, findObjects, ownObjects, synthAppAndValidate } from '../util';

describe('README quick start', () => {
  // GIVEN the snippet of "In your own project" / WHEN it runs
  const source = snippetAfter(QUICK_START_HEADING);
  const charts = synthAppAndValidate(runSnippet(source));

  test('ends with app.synth()', () => {
    expect(source).toMatch(SYNTH_CALL);
  });

  test('is about 30 lines and imports only the public package', () => {
    const lines = source.trim().split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//'));
    expect(lines.length).toBeLessThanOrEqual(32);
    expect(source).toMatch(/from 'cdk8s-mesh';/);
    expect(source).not.toMatch(/src\//);
  });

  test('installs a control plane and an injected namespace', () => {
    const platform = charts.get('platform')!.objects;
    expect(findObjects(platform, 'Deployment', 'istiod')).toHaveLength(1);
    expect(findObjects(platform, 'CustomResourceDefinition')).toHaveLength(15);
    expect(findObject(platform, 'Namespace', 'shop').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
  });

  test('runs two services with a 90/10 canary of order-service', () => {
    const shop = charts.get('shop')!.objects;
    expect(findObjects(shop, 'Deployment').map((d) => d.metadata.name).sort()).toEqual(['order-service-v1', 'order-service-v2', 'user-service-v1']);
    const vs = findObject(shop, 'VirtualService', 'order-service');
    const weights = vs.spec.http[vs.spec.http.length - 1].route.map((r: any) => [r.destination.subset, r.weight ?? 100]);
    expect(weights).toEqual([['v1', 90], ['v2', 10]]);
  });

  test('enforces STRICT mTLS and admits only the declared callers', () => {
    const shop = charts.get('shop')!.objects;
    expect(findObject(shop, 'PeerAuthentication', 'default').spec.mtls.mode).toBe('STRICT');
    const principals = (name: string) => findObject(shop, 'AuthorizationPolicy', name).spec.rules
      .flatMap((r: any) => r.from.flatMap((f: any) => f.source.principals));
    expect(principals('user-service-allow')).toEqual(['cluster.local/ns/shop/sa/order-service']);
    expect(principals('order-service-allow')).toHaveLength(1);
    expect(principals('order-service-allow')[0]).toMatch(/^cluster\.local\/ns\/istio-system\/sa\//);
  });

  test('exposes order-service through the ingress gateway', () => {
    const edge = charts.get('edge')!.objects;
    expect(findObject(edge, 'Gateway', 'ingress').spec.servers[0].hosts).toEqual(['shop.example.com']);
    const route = findObjects(edge, 'VirtualService')[0];
    expect(route.spec.hosts).toEqual(['shop.example.com']);
    expect(route.spec.http[0].route.map((r: any) => r.destination.host)).toEqual(['order-service.shop.svc.cluster.local', 'order-service.shop.svc.cluster.local']);
  });

  test('matches the committed output', () => {
    for (const [id, { objects }] of charts) {
      expect(ownObjects(objects)).toMatchSnapshot(id);
    }
  });

  test('is the front door: what and why, install, a first mesh, links into the site, at most 250 lines', () => {
    for (const heading of ['## Compatibility', '## Quick start from a clone', '## Install and a first mesh (TypeScript)', '## Documentation']) {
      expect(README).toContain(`\n${heading}\n`);
    }
    expect(README.split('\n').length).toBeLessThanOrEqual(250);
    // the quick start runs npm ci once
    expect(README.match(/^npm ci$/mg)).toHaveLength(1);
    // every guide of the site is linked, and every relative link resolves to a file of the repository
    const links = [...README.matchAll(/\]\((?!https?:)([^)#]+)(#[^)]*)?\)/g)].map((m) => m[1]);
    expect(links).toEqual(expect.arrayContaining(['docs/analysis-rules.md', 'docs/guides/troubleshooting.md', 'docs/getting-started/python.md']));
    for (const link of links) expect(fs.existsSync(path.join(__dirname, '..', '..', link))).toBe(true);
  });

  test('speaks to users: no issue numbers', () => {
    expect(README).not.toMatch(/\(issue \d+\)|issue \d+/i);
  });
});
