import { k8s } from 'cdk8s-plus-28';
import { controlPlaneNames, istiodClusterMeta } from './names';
import { ControlPlaneModel } from '../../model/control-plane';

/**
 * Webhook configurations pointing at istiod (facts: istio-install.md §3.3).
 * No `caBundle`: istiod patches it in at run time (and owns that field).
 * Fields istiod owns at run time, which GitOps must ignore (src/gitops/argo-cd.ts):
 * `caBundle` of every webhook, and `failurePolicy` of the validating webhooks.
 */
export const ISTIOD_MANAGED_WEBHOOK_FIELDS: Readonly<Record<'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration', readonly string[]>> = {
  MutatingWebhookConfiguration: ['.webhooks[]?.clientConfig.caBundle'],
  ValidatingWebhookConfiguration: ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy'],
};

const ISTIO_CONFIG_GROUPS: readonly string[] = ['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'extensions.istio.io'];

/** The istiod a webhook calls. */
interface WebhookTarget {
  /** istiod Service name. */
  readonly service: string;
  readonly namespace: string;
  /** `istio.io/rev` value (`default` for the default revision). */
  readonly revLabel: string;
  /** True for the default revision (also serves the legacy labels). */
  readonly isDefault: boolean;
}

function targetOf(cp: ControlPlaneModel): WebhookTarget {
  const names = controlPlaneNames(cp);
  return { service: names.istiod, namespace: cp.namespace, revLabel: names.revLabel, isDefault: cp.revision === undefined };
}

function exists(key: string): k8s.LabelSelectorRequirement {
  return { key, operator: 'DoesNotExist' };
}

function inValues(key: string, ...values: string[]): k8s.LabelSelectorRequirement {
  return { key, operator: 'In', values };
}

function notIn(key: string, ...values: string[]): k8s.LabelSelectorRequirement {
  return { key, operator: 'NotIn', values };
}

/**
 * The injection webhooks. A namespace opts in with `istio.io/rev=<rev>` or (default
 * revision) `istio-injection=enabled`; in unlabelled namespaces a pod opts in with
 * `istio.io/rev=<rev>` or (default revision) `sidecar.istio.io/inject=true`. A pod
 * labelled `sidecar.istio.io/inject=false` is never injected.
 */
function injectionWebhooks(t: WebhookTarget): k8s.MutatingWebhook[] {
  type Requirements = k8s.LabelSelectorRequirement[];
  const webhook = (name: string, namespaceSelector: Requirements, objectSelector: Requirements): k8s.MutatingWebhook => ({
    name,
    admissionReviewVersions: ['v1'],
    clientConfig: { service: { name: t.service, namespace: t.namespace, path: '/inject', port: 443 } },
    // as upstream: istiod patches only the caBundle of its injection webhooks, never this
    failurePolicy: 'Fail',
    sideEffects: 'None',
    reinvocationPolicy: 'Never',
    namespaceSelector: { matchExpressions: namespaceSelector },
    objectSelector: { matchExpressions: objectSelector },
    rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
  });
  const out = [
    webhook('rev.namespace.sidecar-injector.istio.io',
      [inValues('istio.io/rev', t.revLabel), exists('istio-injection')],
      [notIn('sidecar.istio.io/inject', 'false')]),
    webhook('rev.object.sidecar-injector.istio.io',
      [exists('istio.io/rev'), exists('istio-injection')],
      [notIn('sidecar.istio.io/inject', 'false'), inValues('istio.io/rev', t.revLabel)]),
  ];
  if (t.isDefault) {
    out.push(
      webhook('namespace.sidecar-injector.istio.io',
        [inValues('istio-injection', 'enabled')],
        [notIn('sidecar.istio.io/inject', 'false')]),
      webhook('object.sidecar-injector.istio.io',
        [exists('istio-injection'), exists('istio.io/rev')],
        [inValues('sidecar.istio.io/inject', 'true'), exists('istio.io/rev')]),
    );
  }
  return out;
}

/** Validation of Istio config by istiod (`/validate`). */
function validationWebhook(t: WebhookTarget, name: string, objectSelector?: k8s.LabelSelector): k8s.ValidatingWebhook {
  return {
    name,
    admissionReviewVersions: ['v1'],
    clientConfig: { service: { name: t.service, namespace: t.namespace, path: '/validate' } },
    // Fail open at install, as upstream: until istiod serves /validate and has patched
    // the caBundle, `Fail` would reject every Istio object (a plain `kubectl apply -f dist/`
    // loses them). istiod's validation controller switches it to `Fail` once ready; the
    // Argo CD Applications ignore that field (ISTIOD_MANAGED_WEBHOOK_FIELDS), so no drift loop.
    failurePolicy: 'Ignore',
    sideEffects: 'None',
    objectSelector,
    rules: [{ apiGroups: [...ISTIO_CONFIG_GROUPS], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*'] }],
  };
}

/** The injection webhook configuration of a control plane. */
export function renderInjectionWebhookConfiguration(cp: ControlPlaneModel): k8s.KubeMutatingWebhookConfigurationProps {
  const ns = cp.namespace;
  return {
    metadata: istiodClusterMeta(cp, `istio-sidecar-injector${controlPlaneNames(cp).suffix}${ns === 'istio-system' ? '' : `-${ns}`}`, { app: 'sidecar-injector' }),
    webhooks: injectionWebhooks(targetOf(cp)),
  };
}

/** The validation webhook configuration of a control plane's revision (objects labelled `istio.io/rev: <rev>`). */
export function renderValidationWebhookConfiguration(cp: ControlPlaneModel): k8s.KubeValidatingWebhookConfigurationProps {
  const t = targetOf(cp);
  return {
    metadata: istiodClusterMeta(cp, `istio-validator${controlPlaneNames(cp).suffix}-${cp.namespace}`, { istio: 'istiod' }),
    webhooks: [validationWebhook(t, 'rev.validation.istio.io', { matchExpressions: [{ key: 'istio.io/rev', operator: 'In', values: [t.revLabel] }] })],
  };
}

/** The default revision's validation of objects without an `istio.io/rev` label (undefined for a revisioned control plane). */
export function renderDefaultValidationWebhookConfiguration(cp: ControlPlaneModel): k8s.KubeValidatingWebhookConfigurationProps | undefined {
  const t = targetOf(cp);
  if (!t.isDefault) return undefined;
  return {
    metadata: istiodClusterMeta(cp, 'istiod-default-validator', { istio: 'istiod' }),
    webhooks: [validationWebhook(t, 'validation.istio.io', { matchExpressions: [{ key: 'istio.io/rev', operator: 'DoesNotExist' }] })],
  };
}
