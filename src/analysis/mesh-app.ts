import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, AppProps, Chart, DependencyGraph, Names, YamlOutputType } from 'cdk8s';
import { IConstruct, Node } from 'constructs';
import { MeshAnalysis } from './mesh-analysis';
import { MeshRouting, RoutingApi } from '../model/routing';
import { MeshValidationError, propMessage } from '../private/errors';
import { MESH_APP } from '../private/mesh-app-marker';
import { checkArgs } from '../private/runtime-types';
import { YamlEmitter } from '../private/yaml-emitter';
import { meshIntentText } from '../render/intent';

/**
 * Properties of a `MeshApp`.
 */
export interface MeshAppProps extends AppProps {
  /**
   * Write the Mermaid topology diagram beside the manifests.
   *
   * @default true
   */
  readonly topologyDiagram?: boolean;

  /**
   * File name of the topology diagram, relative to `outdir`.
   *
   * @default 'mesh.md'
   */
  readonly topologyFile?: string;

  /**
   * Write the mesh's resolved intent beside the manifests, as JSON with a
   * `version` field.
   *
   * It holds what the constructs declared (services, calls, routes, releases,
   * policies, mTLS, tokens, gateways, data planes), rendered from the mesh's
   * resolved snapshot, not from the manifests: the conformance suite's
   * behaviour stage judges an output folder against it.
   *
   * @default true
   */
  readonly meshIntent?: boolean;

  /**
   * File name of the mesh intent, relative to `outdir`. Its extension must not
   * be one that `kubectl apply -f <dir>` or an Argo CD directory source reads
   * as manifests (`.json`, `.yaml`, `.yml`, `.jsonnet`).
   *
   * @default 'mesh-intent.jsonc'
   */
  readonly meshIntentFile?: string;

  /**
   * The API every mesh construct of the app renders its routing with (a chart
   * can choose its own with `MeshRouting.use(chart, api)`, a service with its
   * `routingApi` prop).
   *
   * @default RoutingApi.ISTIO
   */
  readonly routingApi?: RoutingApi;
}

/** Default file name of the mesh intent (`MeshAppProps.meshIntentFile`). */
const MESH_INTENT_FILE = 'mesh-intent.jsonc';

/** Extensions `kubectl apply -f <dir>` and Argo CD directory sources read as manifests. */
const MANIFEST_EXTENSIONS: readonly string[] = ['.json', '.yaml', '.yml', '.jsonnet'];

/** The intent file name, checked: relative, inside `outdir`, not read as a manifest. */
function validateIntentFile(file: string): string {
  const normalized = path.normalize(file);
  if (file === '' || path.isAbsolute(file) || normalized.split(path.sep).includes('..')) {
    throw new MeshValidationError(`[<app>] ${propMessage('meshIntentFile', 'must be a file name relative to outdir, inside it', file,
      `use a relative name such as '${MESH_INTENT_FILE}'`)}`);
  }
  const ext = path.extname(file).toLowerCase();
  if (MANIFEST_EXTENSIONS.includes(ext)) {
    throw new MeshValidationError(`[<app>] ${propMessage('meshIntentFile', `must not end with ${MANIFEST_EXTENSIONS.join(', ')}: kubectl apply -f <outdir> `
      + 'and Argo CD directory sources read such files as manifests and fail on the intent document, which is no Kubernetes object', file,
    `use the '.jsonc' extension, e.g. '${path.basename(file, path.extname(file))}.jsonc'`)}`);
  }
  return normalized;
}

/** True if `file` is `dir` itself or lies inside it. */
function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The cdk8s `App` of a mesh program: synthesizes atomically (into a staging
 * folder that replaces the output in one step; if anything fails, the
 * previous output stays byte for byte as it was), prints the mesh analysis
 * warnings, and writes the topology diagram (`mesh.md`, a Mermaid flowchart)
 * beside the manifests.
 *
 * Mesh constructs require it: synthesizing them in a plain cdk8s `App` fails
 * with an error that names `MeshApp` (only `Testing.app()`, which renders
 * charts for tests, is accepted).
 *
 * Under `cdk8s synth`, which empties the output folder before it runs the
 * program, a failed synthesis puts the last good output back (a copy kept
 * in the system's temporary folder) and exits with code 1. A synthesis error
 * that reaches the top of the program is printed once, without a stack
 * trace, and the process exits with code 1; code that catches it gets the
 * error as usual.
 */
export class MeshApp extends App {
  private readonly topologyDiagram: boolean;
  private readonly topologyFile: string;
  private readonly recordMetadata: boolean;
  private readonly lastGood?: string;
  private readonly meshIntentFile?: string;

  constructor(props: MeshAppProps = {}) {
    super(props);
    checkArgs(this, 'MeshApp.new', arguments);
    this.recordMetadata = props.recordConstructMetadata ?? process.env.CDK8S_RECORD_CONSTRUCT_METADATA === 'true';
    this.topologyDiagram = props.topologyDiagram ?? true;
    this.topologyFile = props.topologyFile ?? 'mesh.md';
    this.meshIntentFile = props.meshIntent ?? true ? validateIntentFile(props.meshIntentFile ?? MESH_INTENT_FILE) : undefined;
    Object.defineProperty(this, MESH_APP, { value: true });
    this.lastGood = cliLastGood(path.resolve(this.outdir));
    if (this.lastGood) {
      restoreLastGood(this.lastGood, path.resolve(this.outdir));
      if (!process.listeners('uncaughtException').includes(printMeshErrors)) process.on('uncaughtException', printMeshErrors);
    }
    if (props.routingApi !== undefined) MeshRouting.use(this, props.routingApi);
  }

  /**
   * Writes every chart into `outdir`, as `App.synth()` does, with cdk8s's public
   * API only: the same validation (every construct's `node.validate()`, the same
   * error text), the same dependency resolution, chart order, file names and
   * `Yaml.save` output for each `yamlOutputType`, and `construct-metadata.json`.
   * The difference is cost: `App.synth()` renders each chart through
   * `Chart.toJson()`, which validates and resolves the whole app again per chart
   * (charts x app size); here the app is validated and resolved once, then each
   * chart's API objects are rendered in dependency order. A chart class that
   * overrides `toJson()` is still rendered through it. The YAML is written by
   * `YamlEmitter`, which produces `Yaml.save`'s bytes several times faster.
   */
  private synthInto(outdir: string): void {
    fs.mkdirSync(outdir, { recursive: true });
    const all = this.node.findAll();
    const errors: string[] = [];
    for (const c of all) for (const e of c.node.validate()) errors.push(`[${c.node.path}] ${e}`);
    if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
    const hasDependantCharts = resolveDependencies(all);
    const charts = dependencyOrder(this.node).filter((c): c is Chart => c instanceof Chart);
    const ext = this.outputFileExtension;
    const fileOf = (kind: string, name: string | undefined) => `${kind}.${name}`.replace(/[^0-9a-zA-Z-_.]/g, '') + ext;
    const chartName = (chart: Chart, i: number) => (hasDependantCharts ? `${i.toString().padStart(4, '0')}-` : '') + Names.toDnsLabel(chart);
    const yaml = new YamlEmitter();
    switch (this.yamlOutputType) {
      case YamlOutputType.FILE_PER_APP:
        if (charts.length > 0) yaml.save(path.join(outdir, `app${ext}`), charts.flatMap(chartJson));
        break;
      case YamlOutputType.FILE_PER_CHART:
        charts.forEach((chart, i) => yaml.save(path.join(outdir, chartName(chart, i) + ext), chartJson(chart)));
        break;
      case YamlOutputType.FILE_PER_RESOURCE:
        for (const chart of charts) {
          for (const obj of chartJson(chart)) {
            if (obj !== undefined) yaml.save(path.join(outdir, fileOf(obj.kind, obj.metadata?.name)), [obj]);
          }
        }
        break;
      case YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE:
        charts.forEach((chart, i) => {
          const dir = path.join(outdir, chartName(chart, i));
          fs.mkdirSync(dir, { recursive: true });
          for (const obj of chartObjects(chart)) yaml.save(path.join(dir, fileOf(obj.kind, obj.metadata.name)), [obj.toJson()]);
        });
        break;
      default:
        break;
    }
    if (this.recordMetadata) {
      const resources: Record<string, { path: string }> = {};
      for (const obj of charts.flatMap(chartObjects)) resources[obj.name] = { path: obj.node.path };
      fs.writeFileSync(path.join(outdir, 'construct-metadata.json'), JSON.stringify({ version: '1.0.0', resources }));
    }
  }

  /** Fails when an object this synthesis wrote is larger than the API server accepts. */
  private checkObjectSizes(staging: string, since: number): void {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p); else if (p.endsWith(this.outputFileExtension) && fs.statSync(p).mtimeMs >= since) files.push(p);
      }
    };
    walk(staging);
    const problems: string[] = [];
    for (const f of files.sort()) {
      for (const doc of fs.readFileSync(f, 'utf8').split(/^---$/m)) {
        const bytes = Buffer.byteLength(doc);
        if (bytes <= MAX_OBJECT_BYTES) continue;
        const kind = /^kind: (.+)$/m.exec(doc)?.[1] ?? '?';
        const name = /^ {2}name: (.+)$/m.exec(doc)?.[1] ?? '?';
        const owner = this.node.findAll().find((c) => ApiObject.isApiObject(c) && c.kind === kind && c.name === name);
        problems.push(`[${owner?.node.scope?.node.path ?? path.relative(staging, f)}] ${propMessage('metadata.name',
          `names a ${kind} of ${bytes} bytes, over the API server's request limit of ${MAX_OBJECT_BYTES} bytes (1.5 MiB): kubectl apply and Argo CD cannot create it`,
          name, 'split the content over several objects (e.g. one dashboard ConfigMap each), or load large data from elsewhere')}`);
      }
    }
    if (problems.length) throw new MeshValidationError(problems.join('\n'));
  }

  /**
   * Synthesizes every chart, then the topology diagram, atomically: everything
   * is written to a staging folder beside `outdir` (seeded with a copy of the
   * current output, so files cdk8s would leave in place stay), which then
   * replaces `outdir` in one rename. If anything fails (validation, a chart
   * that cannot render, an escape-hatch patch that cannot apply, the diagram)
   * the staging folder is removed and the previous output stays byte for
   * byte as it was. A `topologyFile` outside `outdir` is written to a
   * temporary file beside it and renamed into place with the swap.
   */
  public override synth(): void {
    const outdir = path.resolve(this.outdir);
    try {
      // under the CLI the folder holds the restored last good output: replace it whole
      this.synthAtomically(outdir, this.lastGood === undefined);
    } catch (e) {
      if (e instanceof Error) Object.defineProperty(e, SYNTH_ERROR, { value: true });
      if (!this.lastGood) reportAtTopLevel();
      throw e;
    }
    if (this.lastGood) keepLastGood(outdir, this.lastGood);
  }

  private synthAtomically(outdir: string, keepOtherFiles: boolean): void {
    const parent = path.dirname(outdir);
    const createdParent = fs.mkdirSync(parent, { recursive: true });
    const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(outdir)}.synth-`));
    const topology = path.resolve(outdir, this.topologyFile);
    const topologyOutside = this.topologyDiagram && !isInside(outdir, topology);
    const topologyTemp = topologyOutside ? `${topology}.synth-${process.pid}-${path.basename(staging)}` : undefined;
    const started = Date.now() - 1000;
    try {
      if (keepOtherFiles && fs.existsSync(outdir)) fs.cpSync(outdir, staging, { recursive: true, preserveTimestamps: true });
      this.synthInto(staging);
      this.checkObjectSizes(staging, started);
      const analysis = MeshAnalysis.of(this);
      if (this.topologyDiagram) {
        const body = [
          '# Mesh topology', '', 'Generated by cdk8s-mesh from the constructs of this app.', '',
          '```mermaid', analysis.toMermaid().trimEnd(), '```', '',
          '## Sidecar egress scoping', '',
          'Each Envoy receives configuration only for the hosts its service calls (its `Sidecar` egress list).', '',
          analysis.sidecarFanoutReport(),
        ].join('\n');
        const target = topologyTemp ?? path.join(staging, path.relative(outdir, topology));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, body);
      }
      if (this.meshIntentFile) {
        const target = path.join(staging, this.meshIntentFile);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, meshIntentText(analysis._snapshot()));
      }
      commit(outdir, staging, topologyTemp, topology);
      for (const f of analysis.findings().filter((x) => !x.fatal)) {
        process.stderr.write(`[${f.path}] warning ${f.code}: ${f.message}\n`);
      }
    } catch (e) {
      fs.rmSync(staging, { recursive: true, force: true });
      if (topologyTemp) fs.rmSync(topologyTemp, { force: true });
      if (createdParent && !fs.existsSync(outdir)) removeEmptyDirs(createdParent, parent);
      throw e;
    }
  }
}

/**
 * Where the last good output of `outdir` is kept when the program runs under
 * `cdk8s synth` (the CLI sets `CDK8S_OUTDIR` and empties that folder before it
 * runs the program): a folder in the system's temporary folder, named after
 * the output's absolute path. Undefined when the program runs on its own.
 */
function cliLastGood(outdir: string): string | undefined {
  const cliOutdir = process.env.CDK8S_OUTDIR;
  if (!cliOutdir || path.resolve(cliOutdir) !== outdir) return undefined;
  const id = crypto.createHash('sha256').update(outdir).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), 'cdk8s-mesh-last-good', id);
}

/** Replaces the kept copy with the output just written. */
function keepLastGood(outdir: string, lastGood: string): void {
  const next = `${lastGood}.${process.pid}`;
  fs.rmSync(next, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(next), { recursive: true, mode: 0o700 });
  fs.cpSync(outdir, next, { recursive: true, preserveTimestamps: true });
  fs.rmSync(lastGood, { recursive: true, force: true });
  fs.renameSync(next, lastGood);
}

/** Puts the kept copy back into the output folder that the CLI emptied, so a failure leaves the last good output. */
function restoreLastGood(lastGood: string, outdir: string): void {
  if (!fs.existsSync(lastGood) || (fs.existsSync(outdir) && fs.readdirSync(outdir).length > 0)) return;
  fs.cpSync(lastGood, outdir, { recursive: true, preserveTimestamps: true });
}

/** Set on an error that `MeshApp.synth()` threw. */
const SYNTH_ERROR = Symbol.for('cdk8s-mesh.synthError');

/**
 * Under `cdk8s synth`: a synthesis or input error of cdk8s-mesh that reaches
 * the top of the program is printed once, without a stack trace (any other
 * error as Node.js prints it), and the program exits with code 1.
 */
function printMeshErrors(error: unknown): void {
  const mesh = error instanceof Error && (error.name === 'MeshValidationError' || SYNTH_ERROR in error);
  process.stderr.write(`${mesh ? (error as Error).message : (error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
}

/** The handler `reportAtTopLevel` installs for one turn of the event loop. */
const printUncaught = (error: unknown): void => printMeshErrors(error);

/**
 * Prints a synthesis error once, without a stack trace, if it reaches the top
 * of the program (no caller catches it; any other uncaught error of that turn
 * is printed with its stack), and sets exit code 1. A caller that
 * catches the error never triggers the handler, which is removed on the next
 * turn of the event loop.
 */
function reportAtTopLevel(): void {
  if (process.listeners('uncaughtException').includes(printUncaught)) return; // one handler for any number of failures in a turn
  process.once('uncaughtException', printUncaught);
  setImmediate(() => process.removeListener('uncaughtException', printUncaught)).unref();
}

/** A chart's API objects in dependency order (each object in its closest chart only), as cdk8s renders them. */
function chartObjects(chart: Chart): ApiObject[] {
  return dependencyOrder(chart.node)
    .filter((x): x is ApiObject => x instanceof ApiObject)
    .filter((x) => Chart.of(x) === chart);
}

/**
 * The constructs of a subtree in dependency order: `new DependencyGraph(node).topology()`,
 * which cdk8s uses for the order of charts and of each chart's objects. When no
 * construct of the subtree depends on another of it (the common case) that order is
 * the subtree's own (`findAll()`: the graph adopts its vertices in that order), so
 * the graph is built only when there are dependencies.
 */
function dependencyOrder(node: Node): IConstruct[] {
  const all = node.findAll();
  const inside = new Set<IConstruct>(all);
  const independent = all.every((c) => c.node.dependencies.every((d) => !inside.has(d)));
  return independent ? all : new DependencyGraph(node).topology();
}

/** A rendered API object (the parts the file names read). */
interface RenderedObject {
  readonly kind: string;
  readonly metadata?: { readonly name?: string };
}

/** A chart's manifests: `toJson()` when the chart class overrides it, else its objects rendered once. */
function chartJson(chart: Chart): RenderedObject[] {
  if (chart.toJson !== Chart.prototype.toJson) return Object.values(chart.toJson());
  return chartObjects(chart).map((o) => o.toJson());
}

/**
 * cdk8s's dependency resolution before synthesis: nested charts and
 * cross-chart construct dependencies become chart dependencies, and construct
 * dependencies become dependencies between their API objects. Returns true if
 * any chart depends on another (the file names then carry an index).
 */
function resolveDependencies(all: IConstruct[]): boolean {
  let hasDependantCharts = false;
  const subtree = new Map<IConstruct, IConstruct[]>();
  const findAll = (c: IConstruct) => {
    let found = subtree.get(c);
    if (!found) subtree.set(c, (found = c.node.findAll()));
    return found;
  };
  for (const parent of all.filter((x): x is Chart => x instanceof Chart)) {
    for (const child of parent.node.children.filter((x) => x instanceof Chart)) {
      parent.node.addDependency(child);
      hasDependantCharts = true;
    }
  }
  const deps = () => all.flatMap((source) => source.node.dependencies.map((target) => ({ source, target })));
  for (const { source, target } of deps()) {
    const sourceChart = Chart.of(source);
    const targetChart = Chart.of(target);
    if (sourceChart !== targetChart) {
      sourceChart.node.addDependency(targetChart);
      hasDependantCharts = true;
    }
  }
  for (const { source, target } of deps()) {
    const sourceChart = Chart.of(source);
    const targetChart = Chart.of(target);
    const targets = findAll(target).filter((c) => c instanceof ApiObject && Chart.of(c) === targetChart);
    const sources = findAll(source).filter((c) => c instanceof ApiObject && Chart.of(c) === sourceChart);
    for (const t of targets) for (const s of sources) if (t !== s) s.node.addDependency(t);
  }
  return hasDependantCharts;
}

/** The API server's limit on one request (etcd's 1.5 MiB value limit). */
const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/**
 * Moves the staged output into place: `outdir` is renamed aside, the staging
 * folder renamed to `outdir`, then the old folder removed. If `outdir` cannot
 * be renamed (it is the working directory, or a mount point), the staged files
 * are renamed into it one by one instead.
 */
function commit(outdir: string, staging: string, topologyTemp: string | undefined, topology: string): void {
  const backup = `${staging}.previous`;
  const hadOutput = fs.existsSync(outdir);
  let swapped = true;
  if (hadOutput) {
    if (isInside(outdir, process.cwd())) {
      swapped = false;
    } else {
      try {
        fs.renameSync(outdir, backup);
      } catch {
        swapped = false;
      }
    }
  }
  if (!swapped) {
    moveInto(staging, outdir);
    fs.rmSync(staging, { recursive: true, force: true });
  } else {
    try {
      fs.renameSync(staging, outdir);
    } catch (e) {
      if (hadOutput) fs.renameSync(backup, outdir);
      throw e;
    }
  }
  if (topologyTemp) {
    try {
      fs.renameSync(topologyTemp, topology);
    } catch (e) {
      if (swapped && hadOutput) {
        fs.rmSync(outdir, { recursive: true, force: true });
        fs.renameSync(backup, outdir);
      }
      throw e;
    }
  }
  if (swapped && hadOutput) fs.rmSync(backup, { recursive: true, force: true });
}

/** Renames every file of `from` into the same relative place under `to`. */
function moveInto(from: string, to: string): void {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) {
      fs.mkdirSync(dst, { recursive: true });
      moveInto(src, dst);
    } else {
      fs.renameSync(src, dst);
    }
  }
}

/** Removes the empty folders from `dir` up to `top` (the ones this synthesis created). */
function removeEmptyDirs(top: string, dir: string): void {
  for (let d = dir; isInside(top, d); d = path.dirname(d)) {
    if (!fs.existsSync(d) || fs.readdirSync(d).length > 0) return;
    fs.rmdirSync(d);
    if (d === top) return;
  }
}
