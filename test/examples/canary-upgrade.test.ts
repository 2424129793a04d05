import { Yaml } from 'cdk8s';
import { buildUpgrade, NEW, OLD, stepFromEnv, UpgradeStep } from '../../examples/canary-upgrade/main';
import { MeshApp } from '../../src';
import { findObject, findObjects, ownObjects, synthAppAndValidate } from '../util';

function synth(step: UpgradeStep) {
  const app = new MeshApp({ outdir: 'cdk.out.unused' });
  buildUpgrade(app, step);
  return synthAppAndValidate(app);
}

const revOf = (objects: any[], kind: string, name: string) => findObject(objects, kind, name).metadata.labels['istio.io/rev'];
const podRevOf = (objects: any[], name: string) => findObject(objects, 'Deployment', name).spec.template.metadata.labels['istio.io/rev'];

describe('examples/canary-upgrade', () => {
  describe('step 1: the new revision beside the old one, storefront moved', () => {
    // GIVEN / WHEN
    const charts = synth(UpgradeStep.CANARY);
    const cp = charts.get('istio-control-plane')!.objects;

    test('both control planes run side by side, with their own istiod and injection webhook', () => {
      for (const { revision, tag } of [OLD, NEW]) {
        const istiod = findObject(cp, 'Deployment', `istiod-${revision}`);
        expect(istiod.spec.template.spec.containers[0].image).toBe(`docker.io/istio/pilot:${tag}`);
        expect(findObject(cp, 'Service', `istiod-${revision}`).metadata.namespace).toBe('istio-system');
      }
      const webhooks = findObjects(cp, 'MutatingWebhookConfiguration');
      expect(webhooks).toHaveLength(2);
      const selected = webhooks.map((w) => w.webhooks[0].namespaceSelector.matchExpressions[0].values[0]).sort();
      expect(selected).toEqual([OLD.revision, NEW.revision]);
    });

    test('shared objects are emitted once: the istio-system Namespace and the 15 CRDs', () => {
      expect(findObjects(cp, 'Namespace', 'istio-system')).toHaveLength(1);
      expect(findObjects(cp, 'CustomResourceDefinition')).toHaveLength(15);
    });

    test('storefront (namespace and pods) is on the new revision; checkout stays on the old one', () => {
      const storefront = charts.get('storefront')!.objects;
      const checkout = charts.get('checkout')!.objects;
      expect(revOf(cp, 'Namespace', 'storefront')).toBe(NEW.revision);
      expect(podRevOf(storefront, 'storefront-v1')).toBe(NEW.revision);
      expect(revOf(cp, 'Namespace', 'checkout')).toBe(OLD.revision);
      expect(podRevOf(checkout, 'checkout-v1')).toBe(OLD.revision);
      // revision binding uses istio.io/rev only: the legacy label would select the default revision
      expect(findObject(cp, 'Namespace', 'storefront').metadata.labels['istio-injection']).toBeUndefined();
      expect(findObject(cp, 'Namespace', 'storefront').metadata.namespace).toBeUndefined();
    });

    test('each Sidecar carries the revision of the pods it selects, so the other revision\'s istiod (and its analyzer) leaves it alone', () => {
      // GIVEN the istiod holding the cluster-wide analysis lease reads only pods of its own revision
      // THEN a Sidecar without the label would be reported as selecting no pod (IST0101) by the other revision
      const storefront = charts.get('storefront')!.objects;
      const checkout = charts.get('checkout')!.objects;
      expect(revOf(storefront, 'Sidecar', 'storefront')).toBe(podRevOf(storefront, 'storefront-v1'));
      expect(revOf(checkout, 'Sidecar', 'checkout')).toBe(podRevOf(checkout, 'checkout-v1'));
      // routing config stays visible to every revision (storefront's proxies on 1-30-3 route to checkout)
      expect(revOf(checkout, 'VirtualService', 'checkout')).toBeUndefined();
      expect(revOf(checkout, 'DestinationRule', 'checkout')).toBeUndefined();
    });

    test('matches the committed output', () => {
      for (const [id, { objects }] of charts) {
        expect(Yaml.stringify(...ownObjects(objects))).toMatchSnapshot(`step1 ${id}`);
      }
    });
  });

  describe('step 2: everything on the new revision, the old control plane removed', () => {
    // GIVEN / WHEN
    const charts = synth(UpgradeStep.COMPLETE);
    const cp = charts.get('istio-control-plane')!.objects;

    test('only the new control plane is left; it now emits the CRDs and the namespace', () => {
      expect(findObjects(cp, 'Deployment').map((d) => d.metadata.name)).toEqual([`istiod-${NEW.revision}`]);
      expect(cp.filter((o) => JSON.stringify(o.metadata).includes(OLD.revision))).toEqual([]);
      expect(findObjects(cp, 'CustomResourceDefinition')).toHaveLength(15);
      expect(findObjects(cp, 'Namespace', 'istio-system')).toHaveLength(1);
    });

    test('checkout moved: its namespace label and pod template change, so its Deployment rolls out', () => {
      const checkout = charts.get('checkout')!.objects;
      expect(revOf(cp, 'Namespace', 'checkout')).toBe(NEW.revision);
      expect(podRevOf(checkout, 'checkout-v1')).toBe(NEW.revision);
      const before = synth(UpgradeStep.CANARY).get('checkout')!.objects;
      expect(findObject(before, 'Deployment', 'checkout-v1').spec.template).not.toEqual(findObject(checkout, 'Deployment', 'checkout-v1').spec.template);
    });

    test('the CRDs are byte-identical in both steps (moving their owner does not touch the cluster)', () => {
      const crds = (s: UpgradeStep) => Yaml.stringify(...findObjects(synth(s).get('istio-control-plane')!.objects, 'CustomResourceDefinition'));
      expect(crds(UpgradeStep.COMPLETE)).toBe(crds(UpgradeStep.CANARY));
    });

    test('matches the committed output', () => {
      for (const [id, { objects }] of charts) {
        expect(Yaml.stringify(...ownObjects(objects))).toMatchSnapshot(`step2 ${id}`);
      }
    });
  });

  describe('UPGRADE_STEP', () => {
    test('defaults to step 1 and accepts 1 and 2', () => {
      expect(stepFromEnv(undefined)).toBe(UpgradeStep.CANARY);
      expect(stepFromEnv('1')).toBe(UpgradeStep.CANARY);
      expect(stepFromEnv('2')).toBe(UpgradeStep.COMPLETE);
    });

    test('rejects anything else with the allowed values', () => {
      expect(() => stepFromEnv('3')).toThrow("UPGRADE_STEP must be 1 (canary) or 2 (complete), got '3'");
    });
  });
});
