/**
 * Canary upgrade of the Istio control plane by revision, in two steps.
 *
 * Two namespaces, `storefront` and `checkout`, run on the control plane of
 * revision `1-30-2` (Istio 1.30.2). The upgrade to `1-30-3` (Istio 1.30.3):
 *
 * - step 1 (`UPGRADE_STEP=1`): install `1-30-3` beside `1-30-2` and move
 *   `storefront` to it. `checkout` stays on the old revision, so a bad
 *   release only reaches one namespace; roll back by setting its revision back.
 * - step 2 (`UPGRADE_STEP=2`): move `checkout` too and remove the `1-30-2`
 *   control plane (its istiod, webhooks and RBAC disappear from the output;
 *   the CRDs and the `istio-system` namespace stay, now emitted by `1-30-3`).
 *
 * Namespaces and their services are bound to the same revision: the namespace
 * label `istio.io/rev` picks the injection webhook, and the pod label
 * `istio.io/rev` (from `MeshService.controlPlane`) changes the pod template,
 * so each Deployment rolls out and its new pods get the new sidecar without a
 * manual `kubectl rollout restart`.
 *
 * Synthesize with `UPGRADE_STEP=1 cdk8s synth` (or 2) in this folder.
 */
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { IMeshControlPlane, IstioControlPlane, MeshApp, MeshNamespace, MeshService, Protocol, StrictMtls } from '../../src';

/** The two steps of the upgrade. */
export enum UpgradeStep {
  /** Both revisions installed; `storefront` moved to the new one. */
  CANARY = 1,
  /** Everything on the new revision; the old control plane removed. */
  COMPLETE = 2,
}

/** The revision being replaced. */
export const OLD = { revision: '1-30-2', tag: '1.30.2' };
/** The revision being rolled out. */
export const NEW = { revision: '1-30-3', tag: '1.30.3' };

/** One team namespace's workloads, bound to `controlPlane` (the Namespace object lives in the cluster-scoped chart). */
class TeamChart extends Chart {
  public readonly service: MeshService;

  constructor(scope: Construct, namespace: string, controlPlane: IMeshControlPlane, image: string) {
    super(scope, namespace, { namespace });
    new StrictMtls(this, 'mtls', { namespace });
    this.service = new MeshService(this, namespace, {
      controlPlane,
      ports: [{ port: 80, targetPort: 8080, protocol: Protocol.HTTP }],
      versions: [{ name: 'v1', image, replicas: 2 }],
    });
  }
}

/** Builds the upgrade at `step` into `app`. */
export function buildUpgrade(app: App, step: UpgradeStep): { controlPlanes: IstioControlPlane[]; storefront: TeamChart; checkout: TeamChart } {
  const chart = new Chart(app, 'istio-control-plane');
  const controlPlanes: IstioControlPlane[] = [];
  // The CRDs and the istio-system Namespace are shared: the first control plane emits them.
  const oldCp = step === UpgradeStep.CANARY ? new IstioControlPlane(chart, `istio-${OLD.revision}`, OLD) : undefined;
  if (oldCp) controlPlanes.push(oldCp);
  const newCp = new IstioControlPlane(chart, `istio-${NEW.revision}`, NEW);
  controlPlanes.push(newCp);

  // The namespace label and the services' pod label move together.
  const checkoutCp = oldCp ?? newCp;
  new MeshNamespace(chart, 'storefront', { controlPlane: newCp });
  new MeshNamespace(chart, 'checkout', { controlPlane: checkoutCp });
  const storefront = new TeamChart(app, 'storefront', newCp, 'ghcr.io/acme-shop/storefront:3.2.0');
  const checkout = new TeamChart(app, 'checkout', checkoutCp, 'ghcr.io/acme-shop/checkout:1.8.1');
  storefront.service.dependsOn(checkout.service);
  checkout.service.allowFrom(storefront.service);
  return { controlPlanes, storefront, checkout };
}

/** Reads `UPGRADE_STEP` (1 or 2). */
export function stepFromEnv(value: string | undefined): UpgradeStep {
  if (value === undefined || value === '' || value === '1') return UpgradeStep.CANARY;
  if (value === '2') return UpgradeStep.COMPLETE;
  throw new Error(`UPGRADE_STEP must be 1 (canary) or 2 (complete), got '${value}'`);
}

if (require.main === module) {
  const app = new MeshApp();
  buildUpgrade(app, stepFromEnv(process.env.UPGRADE_STEP));
  app.synth();
}
