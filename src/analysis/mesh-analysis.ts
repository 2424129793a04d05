import { IConstruct } from 'constructs';
import { findingsOf, isFatal } from './analyze';
import { MeshModel } from '../model/mesh-model';
import { snapshotOf } from '../model/resolve';
import { MeshSnapshot } from '../model/snapshot';
import { checkArgs } from '../private/runtime-types';
import { renderMermaid } from '../render/mermaid';

/** How serious a finding of the mesh analysis is. */
export enum FindingSeverity {
  /** Fails `cdk8s synth`; nothing is written. */
  ERROR = 'error',
  /** Printed; fails synth only when promoted with `treatWarningsAsErrors()`. */
  WARNING = 'warning',
}

/** One finding of the whole-mesh analysis. */
export interface AnalysisFinding {
  /** Stable rule code (see the rule list in the README). */
  readonly code: string;
  /** Declared severity of the rule. */
  readonly severity: FindingSeverity;
  /** Construct path the finding is reported on. */
  readonly path: string;
  /** What is wrong, the value, and the fix. */
  readonly message: string;
  /** True if this finding fails synthesis (an error, or a promoted warning). */
  readonly fatal: boolean;
}

/** Effect of Sidecar egress scoping on the configuration each Envoy receives. */
export interface SidecarFanout {
  /** Envoy proxies: pods of all mesh services (sum of replicas). */
  readonly proxies: number;
  /** Mesh services declared in the app. */
  readonly services: number;
  /** (proxy, visible service) pairs if every proxy saw the whole mesh. */
  readonly pairsWithoutScoping: number;
  /** (proxy, visible service) pairs with the emitted Sidecar resources. */
  readonly pairsWithScoping: number;
  /** pairsWithoutScoping / pairsWithScoping (1 when nothing is scoped). */
  readonly reduction: number;
}

/**
 * The whole-mesh view of an app: analysis findings, the topology diagram and
 * the Sidecar scoping report. Everything is computed from what the constructs
 * declared, offline, before anything is applied to a cluster.
 *
 * @example
 * const app = new MeshApp();
 * const analysis = MeshAnalysis.of(app);
 * analysis.treatWarningsAsErrors();
 * console.log(analysis.toMermaid());
 */
export class MeshAnalysis {
  /** The analysis of the app `scope` belongs to. */
  public static of(scope: IConstruct): MeshAnalysis {
    checkArgs('MeshAnalysis.of', 'MeshAnalysis.of', arguments);
    return new MeshAnalysis(MeshModel.of(scope));
  }

  private constructor(private readonly model: MeshModel) {}

  /** Every finding, sorted by construct path, then code. */
  public findings(): AnalysisFinding[] {
    const snapshot = snapshotOf(this.model);
    return findingsOf(this.model).map((d) => ({
      code: d.code,
      severity: d.severity === 'error' ? FindingSeverity.ERROR : FindingSeverity.WARNING,
      path: d.path,
      message: d.message,
      fatal: isFatal(snapshot, d),
    }));
  }

  /**
   * Makes warnings fail synthesis: the given rule codes, or every warning when
   * no code is given.
   */
  public treatWarningsAsErrors(...codes: string[]): void {
    checkArgs('MeshAnalysis.treatWarningsAsErrors', 'MeshAnalysis.treatWarningsAsErrors', arguments);
    this.model.promoteWarnings(codes.length === 0 ? ['*'] : codes);
  }

  /**
   * The resolved snapshot of the app's mesh (what renderers read).
   *
   * @internal
   */
  public _snapshot(): MeshSnapshot {
    return snapshotOf(this.model);
  }

  /** The mesh topology as a Mermaid flowchart (deterministic). */
  public toMermaid(): string {
    return renderMermaid(snapshotOf(this.model));
  }

  /**
   * How much Sidecar egress scoping shrinks each proxy's configuration:
   * (proxy, visible host) pairs with and without the emitted Sidecars.
   * Without scoping every proxy sees every host of the registry (services,
   * gateway Services and external hosts); with it, a proxy sees the hosts in
   * its Sidecar's egress list.
   */
  public sidecarFanout(): SidecarFanout {
    const snapshot = snapshotOf(this.model);
    const services = snapshot.services;
    const registry = services.length + snapshot.gateways.filter((g) => !g.attached).length
      + snapshot.externalServices.reduce((n, x) => n + x.hosts.length, 0);
    let proxies = 0;
    let scoped = 0;
    for (const s of services) {
      // ambient pods run no Envoy of their own (ztunnel and waypoints are not configured by Sidecar resources)
      if (s.dataPlane === 'ambient') continue;
      const pods = s.versions.reduce((n, v) => n + v.replicas, 0);
      proxies += pods;
      const visible = s.egressScoped === false
        ? registry
        : s.dependencyHosts.length;
      scoped += pods * visible;
    }
    const unscoped = proxies * registry;
    return {
      proxies,
      services: services.length,
      pairsWithoutScoping: unscoped,
      pairsWithScoping: scoped,
      reduction: scoped === 0 ? (unscoped === 0 ? 1 : unscoped) : Math.round((unscoped / scoped) * 100) / 100,
    };
  }

  /**
   * The Sidecar scoping report as Markdown (a table of the `sidecarFanout()`
   * figures), as `MeshApp` writes it into `mesh.md`.
   */
  public sidecarFanoutReport(): string {
    const f = this.sidecarFanout();
    return [
      '| Envoy proxies | mesh services | (proxy, visible host) pairs without scoping | with Sidecar scoping | reduction |',
      '|---|---|---|---|---|',
      `| ${f.proxies} | ${f.services} | ${f.pairsWithoutScoping} | ${f.pairsWithScoping} | ${f.reduction}x |`,
      '',
    ].join('\n');
  }
}
