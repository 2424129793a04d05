import { ApiObject, Chart, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { GatewayServer } from './gateway-server';
import type { IMeshControlPlane } from '../control-plane/istio-control-plane';
import { ISTIO_DEFAULT_HUB, ISTIO_VERSION } from '../control-plane/istio-release';
import { Gateway, GatewaySpec } from '../imports/networking.istio.io';
import { GatewayDirection, GatewayModel, GatewayRouteModel, GatewayServerModel, GatewayWorkloadModel } from '../model/gateways';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { toResourcesModel } from '../model/resources';
import { IMeshIdentity } from '../model/shared-interfaces';
import { GatewaySnapshot } from '../model/snapshot';
import { propError } from '../private/errors';
import { isLabelValue, validateDnsLabel, validateServiceName } from '../private/names';
import { checkArgs } from '../private/runtime-types';
import { checkPort } from '../private/values';
import { renderGatewaySpec } from '../render/gateway';
import {
  GATEWAY_HTTP_TARGET, GATEWAY_HTTPS_TARGET, renderGatewayAutoscalerSpec, renderGatewayDeploymentSpec, renderGatewayDisruptionBudgetSpec,
  renderGatewayServiceSpec,
} from '../render/gateway-workload';
import { ENVOY_RESERVED_PORTS } from '../render/proxy';
import { addMeshValidation, meshOf } from '../synth/mesh';

/** How the gateway's Kubernetes Service is exposed. */
export enum GatewayServiceType {
  /** A cloud load balancer with an external address. */
  LOAD_BALANCER = 'LoadBalancer',
  /** A port on every node. */
  NODE_PORT = 'NodePort',
  /** Reachable inside the cluster only (e.g. behind another proxy). */
  CLUSTER_IP = 'ClusterIP',
}

/**
 * Horizontal autoscaling of a gateway on CPU.
 */
export interface GatewayAutoscaling {
  /**
   * Fewest replicas.
   *
   * @default 1
   */
  readonly minReplicas?: number;

  /**
   * Most replicas.
   *
   * @default 5
   */
  readonly maxReplicas?: number;

  /**
   * Target average CPU utilization, in percent of the CPU request.
   *
   * @default 80
   */
  readonly targetCpuUtilization?: number;
}

/**
 * Properties shared by ingress and egress gateways: the Envoy workload.
 */
export interface MeshGatewayOptions {
  /**
   * Name of the Deployment, Service and Istio Gateway; the `app` pod label.
   *
   * @default - the construct id (which must then be a DNS-1123 label)
   */
  readonly gatewayName?: string;

  /**
   * Namespace of every object of the gateway. TLS secrets (`credentialName`)
   * must live here.
   *
   * @default - the chart's namespace, or `istio-system`
   */
  readonly namespace?: string;

  /**
   * Value of the `istio` pod label the Istio Gateway resource selects on.
   * Must be unique among the app's gateways.
   *
   * @default - the gateway name without a leading `istio-` (`istio-ingressgateway` gives `ingressgateway`)
   */
  readonly istioLabel?: string;

  /**
   * Istio proxy image, when the gateway must run another one than its control
   * plane's (set as the `sidecar.istio.io/proxyImage` annotation istiod honours).
   *
   * @default - the control plane's proxy image (`<hub>/proxyv2:<tag>`, resolved by istiod from `image: auto`)
   */
  readonly image?: string;

  /**
   * Fixed number of replicas (ignored by Kubernetes when `autoscaling` is set;
   * then the field is omitted so the HPA owns it).
   *
   * @default 1
   */
  readonly replicas?: number;

  /**
   * Scale the gateway with a HorizontalPodAutoscaler (requires metrics-server).
   *
   * @default - no autoscaler; `replicas` pods
   */
  readonly autoscaling?: GatewayAutoscaling;

  /**
   * Emit a PodDisruptionBudget (`minAvailable: 1`) so voluntary disruptions
   * never take down every gateway pod. Requires at least 2 replicas.
   *
   * @default - true when the gateway runs at least 2 replicas (or `autoscaling.minReplicas` >= 2)
   */
  readonly podDisruptionBudget?: boolean;

  /**
   * Compute resources of the proxy container.
   *
   * @default - requests 100m CPU / 128Mi memory, limits 2000m CPU / 1024Mi memory (Istio's chart defaults)
   */
  readonly resources?: kplus.ContainerResources;

  /**
   * Annotations on the Service (e.g. cloud load balancer settings).
   *
   * @default - none
   */
  readonly serviceAnnotations?: { [key: string]: string };

  /**
   * The control plane (revision) the gateway's proxy connects to: its CA and
   * xDS address and the `istio.io/rev` pod label. During a canary upgrade,
   * move gateways to the new revision by pointing this at it.
   *
   * @default - the app's first IstioControlPlane, or the default revision in `istio-system`
   */
  readonly controlPlane?: IMeshControlPlane;
}

/** Ports Envoy or the agent bind in the gateway pod; servers cannot use them. */
const RESERVED_PORTS = ENVOY_RESERVED_PORTS;
const HTTP_TARGET = GATEWAY_HTTP_TARGET;
const HTTPS_TARGET = GATEWAY_HTTPS_TARGET;

function portClass(protocol: string): string {
  if (protocol === 'HTTPS' || protocol === 'TLS') return 'TLS (HTTPS/TLS)';
  if (protocol === 'TCP') return 'TCP';
  return 'HTTP';
}

interface BoundServer {
  readonly server: GatewayServer | undefined;
  readonly model: GatewayServerModel;
}


/**
 * An Envoy gateway: the `istio-proxy` router Deployment (an injected gateway,
 * as Istio's gateway chart deploys it: istiod of the bound control plane fills
 * in the proxy from its `gateway` template), its
 * ServiceAccount, Service, optional HorizontalPodAutoscaler and
 * PodDisruptionBudget, and the Istio Gateway resource that configures it.
 *
 * Use `IngressGateway` or `EgressGateway`.
 *
 * @see https://istio.io/latest/docs/setup/additional-setup/gateway/
 */
export abstract class MeshGateway extends Construct implements IMeshIdentity {
  /** Name of the Deployment, Service and Gateway resource. */
  public readonly gatewayName: string;
  /** Namespace of every object of the gateway. */
  public readonly namespace: string;
  /** Value of the `istio` pod label. */
  public readonly istioLabel: string;
  /** In-mesh host of the gateway's Service. */
  public readonly host: string;
  /** The gateway Deployment (escape hatch: `addJsonPatch`). */
  public readonly deployment: ApiObject;
  /** The gateway Service. */
  public readonly service: ApiObject;
  /** The ServiceAccount the gateway runs as (its mesh identity). */
  public readonly serviceAccount: ApiObject;

  /** @internal */
  protected readonly _model: MeshModel;
  /** @internal */
  protected readonly _servers: BoundServer[] = [];
  /** @internal */
  protected readonly _routes: GatewayRouteModel[] = [];
  private readonly direction: GatewayDirection;
  private readonly workload: GatewayWorkloadModel;
  private readonly controlPlane?: IMeshControlPlane;
  private _gateway?: ApiObject;

  protected constructor(scope: Construct, id: string, props: MeshGatewayOptions, direction: GatewayDirection,
    defaultServiceType: GatewayServiceType, serviceType: GatewayServiceType | undefined) {
    super(scope, id);
    // the subclass's props, checked before this constructor reads them
    checkArgs(this, direction === 'ingress' ? 'IngressGateway.new' : 'EgressGateway.new', [scope, id, props]);
    this.direction = direction;
    this._model = meshOf(this);
    this.gatewayName = validateServiceName(this, 'gatewayName', validateDnsLabel(this, 'gatewayName', props.gatewayName ?? id));
    this.namespace = validateDnsLabel(this, 'namespace', props.namespace ?? Chart.of(this).namespace ?? 'istio-system');
    this.istioLabel = this.validateIstioLabel(props.istioLabel ?? (this.gatewayName.replace(/^istio-/, '') || this.gatewayName));
    this.host = this._model.hostOf(this.gatewayName, this.namespace);
    this.workload = this.validateWorkload(props, serviceType ?? defaultServiceType);
    this.controlPlane = props.controlPlane;
    // the gateway's ServiceAccount is a mesh identity services may `allowFrom()`
    this._model.addIdentity({ path: this.node.path, namespace: this.namespace, serviceAccount: this.workload.serviceAccount });

    const metadata = { name: this.gatewayName, namespace: this.namespace, labels: { ...this.workload.labels } };
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { ...metadata, name: this.workload.serviceAccount },
      automountServiceAccountToken: false,
    });
    addMeshValidation(this);
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { ...metadata, labels: { ...metadata.labels, 'istio.io/dataplane-mode': 'none' } },
      spec: Lazy.any({ produce: () => renderGatewayDeploymentSpec(this._snapshot(), this.workload) }),
    });
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: { ...metadata, annotations: this.workload.serviceAnnotations ? { ...this.workload.serviceAnnotations } : undefined },
      spec: Lazy.any({ produce: () => renderGatewayServiceSpec(this._snapshot(), this.workload) }),
    });
    const autoscaler = renderGatewayAutoscalerSpec(this._toModel(), this.workload);
    if (autoscaler) new k8s.KubeHorizontalPodAutoscalerV2(this, 'Autoscaler', { metadata, spec: autoscaler });
    const budget = renderGatewayDisruptionBudgetSpec(this._toModel(), this.workload);
    if (budget) new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', { metadata, spec: budget });
    this._register();
  }

  /** Namespace of the gateway's identity (its ServiceAccount). */
  public get identityNamespace(): string {
    return this.namespace;
  }

  /** ServiceAccount name of the gateway's identity. */
  public get identityServiceAccount(): string {
    return this.workload.serviceAccount;
  }

  /** Labels the Istio Gateway resource and the Service select on (a copy). */
  public get selector(): { [key: string]: string } {
    return this.selectorLabels();
  }

  /** `<namespace>/<name>`: how VirtualServices refer to this gateway. */
  public get gatewayRef(): string {
    return `${this.namespace}/${this.gatewayName}`;
  }

  /** @internal the Istio Gateway resource, created on first use. */
  protected _gatewayResource(): ApiObject {
    if (!this._gateway) {
      this._gateway = new Gateway(this, 'Gateway', {
        metadata: { name: this.gatewayName, namespace: this.namespace, labels: this._objectLabels() },
        spec: Lazy.any({ produce: () => this._gatewaySpec() }),
      });
    }
    return this._gateway;
  }

  /** @internal renders the Gateway spec from the snapshot. */
  protected _gatewaySpec(): GatewaySpec {
    return renderGatewaySpec(this._snapshot());
  }

  /** @internal the gateway as the snapshot resolved it. */
  protected _snapshot(): GatewaySnapshot {
    const g = snapshotOf(this._model).gateway(this.node.path);
    if (!g) throw new Error(`internal: ${this.node.path} is not in the snapshot`);
    return g;
  }

  /**
   * @internal validates and records a server (its Service port follows).
   * @returns the bound server model
   */
  protected _addServer(prop: string, model: GatewayServerModel, server?: GatewayServer): GatewayServerModel {
    const port = model.port;
    checkPort(this, `${prop}.port`, port, 'use 80 for HTTP and 443 for HTTPS');
    if (port < 1024 && port !== 80 && port !== 443) {
      throw propError(this, `${prop}.port`, 'must be 80, 443 or at least 1024 (the gateway runs unprivileged; only 80 and 443 are forwarded to 8080/8443)', port,
        'use 80, 443, or a port >= 1024');
    }
    if (RESERVED_PORTS.includes(port) || port === HTTP_TARGET || port === HTTPS_TARGET) {
      throw propError(this, `${prop}.port`, `must not collide with a port the gateway pod already uses (Envoy/agent ${RESERVED_PORTS.join(', ')}; ` +
        `${HTTP_TARGET} and ${HTTPS_TARGET} receive ports 80 and 443)`, port, 'use 80, 443 or another free port');
    }
    const other = this._servers.find((s) => s.model.port === port && portClass(s.model.protocol) !== portClass(model.protocol));
    if (other) {
      throw propError(this, `${prop}.port`, `must not be shared by servers of different protocols: servers[${this._servers.indexOf(other)}] ` +
        `serves ${other.model.protocol} on it and this server ${model.protocol}`, port, 'put each protocol on its own port (e.g. HTTP on 80, HTTPS on 443)');
    }
    this._servers.push({ server, model });
    this._register();
    return model;
  }

  /** @internal records the gateway in the mesh model. */
  protected _register(): void {
    this._model.putGateway(this._toModel());
  }

  /** @internal */
  public _toModel(): GatewayModel {
    return {
      path: this.node.path,
      direction: this.direction,
      name: this.gatewayName,
      namespace: this.namespace,
      selector: this.selectorLabels(),
      serviceHost: this.host,
      servers: this._servers.map((s) => s.model),
      routes: [...this._routes],
      identity: { namespace: this.namespace, serviceAccount: this.workload.serviceAccount },
      controlPlane: this.controlPlane ? { revision: this.controlPlane.revision } : undefined,
      workload: this.workload,
    };
  }

  private validateIstioLabel(label: string): string {
    if (!isLabelValue(label) || label === '') {
      throw propError(this, 'istioLabel', 'must be a non-empty Kubernetes label value (at most 63 of [A-Za-z0-9_.-], alphanumeric at both ends)',
        label, 'use a name such as \'ingressgateway\'');
    }
    const clash = this._model.gateways.find((g) => !g.attached && g.selector.istio === label);
    if (clash) {
      throw propError(this, 'istioLabel', `must be unique among gateways (a Gateway resource selects pods by this label in every namespace; ${clash.path} uses it)`,
        label, 'give the gateway another istioLabel or gatewayName');
    }
    return label;
  }

  private validateWorkload(props: MeshGatewayOptions, serviceType: GatewayServiceType | undefined): GatewayWorkloadModel {
    if (props.image !== undefined && (!props.image.includes('/') || /\s/.test(props.image))) {
      throw propError(this, 'image', 'must be a full container image reference (registry/name:tag) without whitespace', props.image,
        `use e.g. '${ISTIO_DEFAULT_HUB}/proxyv2:${ISTIO_VERSION}', or leave image unset to run the control plane's proxy image`);
    }
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw propError(this, 'replicas', 'must be a whole number >= 1', props.replicas, 'run at least one gateway pod, two or more for availability');
    }
    const autoscaling = props.autoscaling ? this.validateAutoscaling(props.autoscaling) : undefined;
    const minPods = autoscaling ? autoscaling.minReplicas : replicas;
    const disruptionBudget = props.podDisruptionBudget ?? minPods >= 2;
    if (disruptionBudget && minPods < 2) {
      throw propError(this, 'podDisruptionBudget', `needs at least 2 replicas (with ${minPods}, minAvailable: 1 would block every node drain)`, true,
        'set replicas (or autoscaling.minReplicas) to 2 or more, or drop podDisruptionBudget');
    }
    if (serviceType !== undefined && !Object.values(GatewayServiceType).includes(serviceType)) {
      throw propError(this, 'serviceType', `must be one of ${Object.values(GatewayServiceType).join(', ')}`, serviceType, 'use GatewayServiceType.LOAD_BALANCER');
    }
    return {
      labels: this._objectLabels(),
      serviceAccount: `${this.gatewayName}-service-account`,
      image: props.image,
      replicas,
      autoscaling,
      disruptionBudget,
      resources: props.resources ? toResourcesModel(props.resources) : undefined,
      serviceType,
      serviceAnnotations: props.serviceAnnotations ? { ...props.serviceAnnotations } : undefined,
    };
  }

  private validateAutoscaling(a: GatewayAutoscaling): Required<GatewayAutoscaling> {
    const out = { minReplicas: a.minReplicas ?? 1, maxReplicas: a.maxReplicas ?? 5, targetCpuUtilization: a.targetCpuUtilization ?? 80 };
    if (!Number.isInteger(out.minReplicas) || out.minReplicas < 1) {
      throw propError(this, 'autoscaling.minReplicas', 'must be a whole number >= 1', a.minReplicas, 'set minReplicas to 1 or more');
    }
    if (!Number.isInteger(out.maxReplicas) || out.maxReplicas < out.minReplicas) {
      throw propError(this, 'autoscaling.maxReplicas', `must be a whole number >= minReplicas (${out.minReplicas})`, a.maxReplicas, 'raise maxReplicas');
    }
    if (!Number.isInteger(out.targetCpuUtilization) || out.targetCpuUtilization < 1 || out.targetCpuUtilization > 100) {
      throw propError(this, 'autoscaling.targetCpuUtilization', 'must be a whole percentage between 1 and 100', a.targetCpuUtilization, 'use e.g. 80');
    }
    return out;
  }

  private selectorLabels(): Record<string, string> {
    return { app: this.gatewayName, istio: this.istioLabel };
  }

  /** @internal labels of every object of the gateway */
  protected _objectLabels(): Record<string, string> {
    return {
      'app': this.gatewayName,
      'istio': this.istioLabel,
      'app.kubernetes.io/name': this.gatewayName,
      'app.kubernetes.io/component': `${this.direction}-gateway`,
      'app.kubernetes.io/part-of': 'istio',
    };
  }
}
