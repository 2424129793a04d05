import { cdk, javascript } from 'projen';
import { UpdateSnapshot } from 'projen/lib/javascript';

const CDK8S_VERSION = '^2.70.0';
const CDK8S_PLUS_VERSION = '^2.5.6';
const CONSTRUCTS_VERSION = '^10.4.2';

const project = new cdk.JsiiProject({
  name: 'cdk8s-mesh',
  packageName: 'cdk8s-mesh',
  description: 'Typed, intent-level Istio service mesh constructs for cdk8s: services, canaries, mTLS, authorization, gateways and the control plane, validated as a whole graph at synth time.',
  keywords: ['cdk8s', 'istio', 'service-mesh', 'envoy', 'kubernetes', 'constructs'],
  author: 'cdk8s-mesh maintainers',
  authorAddress: 'maintainers@cdk8s-mesh.dev',
  repositoryUrl: 'https://github.com/cdk8s-mesh/cdk8s-mesh.git',
  license: 'Apache-2.0',
  stability: 'experimental',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  jsiiVersion: '~6.0.0',

  // No hosted CI here: CI is `.ci/run` on a clean clone.
  github: false,
  release: false,
  buildWorkflow: false,
  pullRequestTemplate: false,

  peerDeps: [
    `cdk8s@${CDK8S_VERSION}`,
    `cdk8s-plus-28@${CDK8S_PLUS_VERSION}`,
    `constructs@${CONSTRUCTS_VERSION}`,
  ],
  // parses the Istio CRD file and writes the injector config at synth time
  bundledDeps: ['yaml@^2.6.0'],
  devDeps: [
    // the L1 generator of import:istio and import:crd-kinds, exact so src/imports regenerates byte-identically
    'cdk8s-cli@2.207.60',
    'ajv@^8.17.1',
    'ajv-formats@^3.0.1',
    'kubernetes-models@^4.5.1',
    'jest-util@^29',
    // exact: also the schema source of import:crd-kinds (src/imports/monitoring.coreos.com.ts)
    '@kubernetes-models/prometheus-operator@4.4.4',
    // property-based tests of random mesh programs (test/property)
    'fast-check@^3.23.0',
    // gitops: schema models of Argo CD and Argo Rollouts objects (test validators)
    '@kubernetes-models/argo-cd@2.7.2',
    '@kubernetes-models/argo-rollouts@0.3.2',
  ],

  publishToPypi: {
    distName: 'cdk8s-mesh',
    module: 'cdk8s_mesh',
  },
  // Go bindings (jsii-pacmak --target go): module github.com/cdk8s-mesh/cdk8s-mesh-go/cdk8smesh
  publishToGo: {
    moduleName: 'github.com/cdk8s-mesh/cdk8s-mesh-go',
  },
  // Java bindings (jsii-pacmak --target java; Maven): dev.cdk8smesh:cdk8s-mesh, package dev.cdk8smesh
  publishToMaven: {
    javaPackage: 'dev.cdk8smesh',
    mavenGroupId: 'dev.cdk8smesh',
    mavenArtifactId: 'cdk8s-mesh',
  },

  jestOptions: {
    jestVersion: '^29',
    updateSnapshot: UpdateSnapshot.NEVER,
    jestConfig: {
      // Coverage instruments the large generated L1 imports and more than doubles the
      // suite's time; run `npm run test:coverage` for a report.
      collectCoverage: false,
      // one worker per core (jest's default leaves one core to its idle main process)
      maxWorkers: '100%',
      // examples are synthesized in tests; generated code is not ours to cover
      coveragePathIgnorePatterns: ['/node_modules/', '/src/imports/'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/examples/.*/dist/'],
      modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/examples/.*/dist/'],
    },
  },

  tsconfigDev: {
    compilerOptions: {},
    include: ['../examples/**/*.ts', '../bench/**/*.ts', '../scripts/**/*.ts', '../conformance/**/*.ts'],
    exclude: ['../examples/**/dist/**'],
  },

  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'examples', 'bench', 'scripts'],
    ignorePatterns: ['src/imports/**', 'examples/**/dist/**', '*.d.ts', '*.js'],
    // `npm test` must not rewrite the contributor's files; `npx eslint --fix` by hand
    // --cache: a rerun lints only changed files (CI's own eslint step runs without a cache)
    commandOptions: { fix: false, extraArgs: ['--cache', '--cache-location', 'node_modules/.cache/eslint/'] },
  },

  gitignore: ['/assets/', '/.upstream/', 'examples/*/dist/', '.cdk8s-mesh-bench/', 'dist/python-src/', '.jsii.tabl.json', '*.tabl.json', '/cdk.out/'],
  npmignoreEnabled: true,
});

// See toolchain.md: newer resolvers pull platform binaries the registry mirror lacks.
project.deps.removeDependency('eslint-import-resolver-typescript');
project.addDevDeps('eslint-import-resolver-typescript@~3.7.0');

// Istio L1 classes, generated from the pinned upstream CRD file
const importIstio = project.addTask('import:istio', {
  description: 'Regenerate src/imports/ from ../shared/istio/<ISTIO_VERSION>/crd-all.gen.yaml (v1 only, descriptions stripped)',
  exec: 'ts-node --project test/tsconfig.json scripts/import-istio.ts',
});
importIstio.say('Istio L1 classes regenerated in src/imports/');
// Argo CD, Argo Rollouts and Prometheus-operator L1 classes, from the pinned
// @kubernetes-models/* devDeps (no network); CI checks they regenerate byte-identically.
const importCrdKinds = project.addTask('import:crd-kinds', {
  description: 'Regenerate src/imports/argoproj.io.ts and monitoring.coreos.com.ts from the pinned @kubernetes-models/* declarations',
  exec: 'ts-node --project test/tsconfig.json scripts/import-crd-kinds.ts',
});
importCrdKinds.say('Argo CD, Argo Rollouts and Prometheus-operator L1 classes regenerated in src/imports/');

// Gateway API: L1 classes from the pinned standard-channel CRDs
const importGatewayApi = project.addTask('import:gateway-api', {
  description: 'Regenerate src/imports/gateway.networking.k8s.io.ts from ../shared/gateway-api/<GATEWAY_API_VERSION>/standard/*.yaml (v1 only, descriptions stripped)',
  exec: 'ts-node --project test/tsconfig.json scripts/import-gateway-api.ts',
});
importGatewayApi.say('Gateway API L1 classes regenerated in src/imports/gateway.networking.k8s.io.ts');

// The pinned Istio CRD file, shipped in the npm tarball (not committed)
// IstioControlPlane reads assets/istio/crd-all.gen.yaml from src/ (ts-jest) and
// lib/ alike; copy it before compiling and before tests (fresh clones run tests
// without compiling).
const copyCrds = project.addTask('copy:istio-crds', {
  description: 'Copy the pinned Istio 1.30.3 CRD file (../shared, or .upstream/ from scripts/upstream-data.js) into assets/istio/ (gitignored, packaged)',
  exec: 'node scripts/copy-istio-crds.js',
});
// part of `compile` itself, so `npx projen compile && npx projen package:js` (the README's
// own-project recipe) can never pack a tarball without the CRD file
project.compileTask.prependSpawn(copyCrds);
project.testTask.prependSpawn(copyCrds);
project.npmignore?.include('/assets/');

// The Istio 1.30.3 injection templates, shipped unchanged (not committed)
// IstioControlPlane puts them into the istio-sidecar-injector ConfigMap.
const copyTemplates = project.addTask('copy:istio-templates', {
  description: 'Copy the injection templates of ../shared/istio/1.30.3 into assets/istio/injection/ (gitignored, packaged)',
  exec: 'node scripts/copy-istio-templates.js',
});
project.compileTask.prependSpawn(copyTemplates);
project.testTask.prependSpawn(copyTemplates);
// Gateway API: the pinned standard-channel CRDs, shipped (not committed)
// IstioControlPlane({ gatewayApiCrds: true }) emits them from assets/gateway-api/standard/.
const copyGatewayApiCrds = project.addTask('copy:gateway-api-crds', {
  description: 'Copy the Gateway API v1.5.1 standard-channel CRDs of ../shared into assets/gateway-api/standard/ (gitignored, packaged)',
  exec: 'node scripts/copy-gateway-api-crds.js',
});
project.compileTask.prependSpawn(copyGatewayApiCrds);
project.testTask.prependSpawn(copyGatewayApiCrds);
// both, for every task that synthesizes with the library's sources
const copyIstio = project.addTask('copy:istio', {
  description: 'Copy the pinned Istio 1.30.3 CRDs and injection templates into assets/istio/ (and the Gateway API CRDs into assets/gateway-api/)',
  steps: [{ spawn: copyCrds.name }, { spawn: copyTemplates.name }, { spawn: copyGatewayApiCrds.name }],
});

// The main example
project.addTask('example', {
  description: 'Synthesize examples/flask-shop into examples/flask-shop/dist/',
  env: { CDK8S_CHECK_UPGRADE: 'false' },
  steps: [
    { spawn: copyIstio.name },
    { exec: 'cdk8s synth --no-check-upgrade', cwd: 'examples/flask-shop' },
    { exec: 'node scripts/list-output.js examples/flask-shop/dist' },
  ],
});

// conformance:argo: the gitops conformance
// Argo Rollouts' own code (v1.10.2: validation, Istio reconciler, revision
// decision, analysis evaluator), Argo CD's jq engine (gojq) and Lua VM
// (gopher-lua) on the flask-shop example at both Git revisions of its release.
// Its own Go module (argo-rollouts pins k8s.io v0.34, istio.io/istio v0.35).
// argo-rollouts v1.10.2 needs Go >= 1.26.10: GOTOOLCHAIN=go1.27.3 (served by the
// Go module proxy). Prints `N passed, N failed`.
project.addTask('conformance:argo', {
  description: 'Argo Rollouts / Argo CD behaviour on the GitOps example (conformance/argo, Go)',
  env: { CDK8S_CHECK_UPGRADE: 'false', GOTOOLCHAIN: 'go1.27.3', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
  steps: [
    { spawn: copyIstio.name },
    { exec: 'ts-node --project test/tsconfig.json --transpile-only scripts/synth-argo-revisions.ts cdk.out/conformance-argo' },
    { exec: 'go build -o ../../cdk.out/conformance-argo/argo .', cwd: 'conformance/argo' },
    {
      exec: 'ARGO_HEALTH_LUA_DIR=cdk.out/conformance-argo cdk.out/conformance-argo/argo stable=cdk.out/conformance-argo/stable canary=cdk.out/conformance-argo/canary',
      receiveArgs: true,
    },
  ],
});

// Conformance: Istio's own code judges the output
project.gitignore.exclude('/conformance/out/', '/conformance/bin/', '/conformance/out-live/');
project.npmignore?.exclude('/conformance/');
project.addTask('conformance', {
  description: "Synthesize every example, the README quick start and conformance/corpus/*.ts into conformance/out/, run Istio's validation, analyzers, injection webhook and xDS generation on each and send the requests of its mesh-intent.jsonc through the generated config (behaviour), then conformance:argo (needs Go)",
  env: { CDK8S_CHECK_UPGRADE: 'false', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
  steps: [
    { spawn: copyIstio.name },
    { exec: 'go build -o bin/conformance ./cmd/conformance', cwd: 'conformance' },
    { exec: 'go test ./...', cwd: 'conformance' },
    // prints "N passed, N failed"; .ci/run adds every such line of this task to the jest counts
    { exec: 'ts-node --project test/tsconfig.json --transpile-only conformance/synth.ts --run', receiveArgs: true },
    // Argo Rollouts' and Argo CD's own code on the GitOps example (below); prints its own counts
    { spawn: 'conformance:argo' },
    // a real control plane acts on every program (below); prints its own counts
    { spawn: 'conformance:live' },
  ],
});

// conformance:live: a live control plane acts on every program
// etcd, kube-apiserver and kube-controller-manager (conformance/live, k8s.io/kubernetes
// v1.35.4), istiod (pilot-discovery of the suite's istio.io/istio) and the Argo Rollouts
// controller (conformance/argo), built once into conformance/bin/live (docs/live.md).
project.addTask('conformance:live', {
  description: 'A real API server, kube-controller-manager, istiod and Argo Rollouts controller on 127.0.0.1 act on every conformance program (docs/live.md; needs Go)',
  env: { CDK8S_CHECK_UPGRADE: 'false', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
  steps: [
    { exec: 'bash conformance/live/build.sh' },
    // prints "N passed, N failed"; .ci/run adds it to the totals
    { exec: 'ts-node --project test/tsconfig.json --transpile-only conformance/live/synth.ts --run', receiveArgs: true },
  ],
});

// conformance:mutants: how strong is the oracle?
// Single-field mutants of the flask-shop flavours and the corpus outputs, each judged by
// every stage of the conformance binary (two at a time): killed / killed by validation /
// survived / equivalent per operator and program in cdk.out/mutants/report.md. The whole run
// takes an hour or more: .ci/run judges a fixed sample (-first 24 -min-score 0.95;
// docs/mutation-testing.md).
project.addTask('conformance:mutants', {
  description: 'Measure the conformance oracle with single-field mutants of the flask-shop flavours and the corpus (conformance/cmd/mutants); report in cdk.out/mutants/ (slow; CI runs a fixed sample with -first 24 -min-score 0.95)',
  env: { CDK8S_CHECK_UPGRADE: 'false', JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' },
  steps: [
    { spawn: copyIstio.name },
    { exec: 'go build -o bin/conformance ./cmd/conformance', cwd: 'conformance' },
    { exec: 'go build -o bin/mutants ./cmd/mutants', cwd: 'conformance' },
    { exec: 'ts-node --project test/tsconfig.json --transpile-only conformance/mutants.ts', receiveArgs: true },
  ],
});

// README and @example snippets must compile
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile every README and @example snippet against the API (jsii-rosetta --strict)',
  exec: 'jsii-rosetta extract --strict --compile --fail .jsii',
});
project.postCompileTask.spawn(rosetta);

// The documentation site (mkdocs.yml, docs/, scripts/docs/)
project.addTask('docs', {
  description: 'Build the documentation site into cdk.out/site (MkDocs; snippets compiled and translated by jsii-rosetta; API per language by jsii-docgen)',
  exec: 'bash scripts/docs/build.sh',
});
project.addTask('docs:check', {
  description: 'Check cdk.out/site in headless Chromium: every page renders, no broken internal link or anchor, search finds a rule code; screenshots',
  exec: 'bash scripts/docs/check.sh',
});
project.gitignore.exclude('/site/');

project.addTask('test:coverage', {
  description: 'Run the tests with a coverage report (coverage/)',
  steps: [
    { spawn: copyIstio.name },
    { exec: 'jest --passWithNoTests --coverage', receiveArgs: true },
  ],
});


// docs/analysis-rules.md is generated from the rule catalog (test/analysis/analysis-rules-doc.test.ts checks it)
project.addTask('docs:rules', {
  description: 'Regenerate docs/analysis-rules.md from the analysis rule catalog',
  exec: 'ts-node --project test/tsconfig.json --transpile-only scripts/analysis-rules-doc.ts',
});

// Synth benchmark (never part of `npm test`)
// serializer floors of the benchmark; snapshot values read back by the YAML writer's tests
project.addDevDeps('js-yaml@^4.1.0', '@types/js-yaml@^4.0.9', 'pretty-format@^29');
project.addTask('bench:helm', {
  description: 'Build (or find) Helm for the benchmark baseline: helm.sh/helm/v4 from the Go module proxy, cached in .cdk8s-mesh-bench/bin/',
  exec: 'ts-node --project bench/tsconfig.json --transpile-only bench/helm.ts',
});
project.addTask('meshcost', {
  description: "What the generated mesh costs to run, with Istio's code: Envoy config per sidecar with and without Sidecar scoping, pilot push time, waypoint and ztunnel config (bench/meshcost.ts; needs Go)",
  exec: 'ts-node --project bench/tsconfig.json --transpile-only bench/meshcost.ts',
  receiveArgs: true,
});
project.addTask('bench', {
  description: 'Synthesis time and peak memory against `helm template` of the same objects and the serializer floors (bench/); `-- baseline=<git ref>` adds that revision',
  steps: [
    { spawn: 'compile' },
    { exec: 'ts-node --project bench/tsconfig.json --transpile-only bench/run.ts', receiveArgs: true },
  ],
});

// Python and Go packaging (section "Python and Go" of .ci/run)
// With PyPI reachable, jsii-pacmak's own Python path works (it pip-installs its
// pinned build tools into a private venv): dist/python/*.whl and *.tar.gz.
const pkgPy = project.tasks.tryFind('package:python');
if (pkgPy) {
  pkgPy.reset();
  pkgPy.exec('rm -rf dist/python');
  pkgPy.exec('jsii-pacmak --target python');
}
// Go: the generated module in dist/go/cdk8smesh (examples/go-shop replaces the module path with it).
// The Go module proxy reachable here refuses github.com/cdk8s-team/cdk8s-core-go and cdk8s-plus-go
// (403 "not available") and lacks jsii-runtime-go v1.140.0, so pacmak's own build step (`go mod
// tidy`) cannot run: generate code only, and generate the cdk8s and cdk8s-plus-28 Go modules from
// the very npm packages this project pins (same jsii assemblies as the published Go modules) into
// dist/go-deps/. constructs-go and jsii-runtime-go come from the proxy (examples/go-shop/go.mod).
const pkgGo = project.tasks.tryFind('package:go');
if (pkgGo) {
  pkgGo.reset();
  pkgGo.exec('rm -rf dist/go dist/go-deps');
  pkgGo.exec('jsii-pacmak --target go --code-only');
  pkgGo.exec('jsii-pacmak --target go --code-only -o dist/go-deps node_modules/cdk8s node_modules/cdk8s-plus-28');
}
// `npx projen build` packages JavaScript only; Python and Go are their own CI steps
// (they need Python / Go toolchains a JavaScript contributor may not have).
const pkgAll = project.tasks.tryFind('package-all');
if (pkgAll) {
  pkgAll.reset();
  pkgAll.spawn(project.tasks.tryFind('package:js')!);
}

// Keep the npm tarball to the library itself (conformance/ is the Go oracle, .upstream/ the
// downloaded Istio data: neither belongs to the package).
project.npmignore?.exclude('/examples/', '/scripts/', '/bench/', '/rosetta/', '/.ci/', '/test-reports/', '/conformance/', '/.upstream/');

// No source maps in lib/: jsii's default inlines maps whose sources point into src/,
// which the package does not ship, so a user's stack trace (ts-node installs source-map-support)
// named files that do not exist. Without maps, traces point at lib/*.js, which is shipped and
// readable; the library's errors carry construct path, prop, value and fix in the message, not
// in the stack. It also keeps the TypeScript sources out of every lib/*.js.
project.tsconfig?.file.addOverride('compilerOptions.inlineSourceMap', false);
project.tsconfig?.file.addOverride('compilerOptions.inlineSources', false);

// Architecture: folders are layers, no import cycle, no `any`, no function over 80 lines
// test/architecture.test.ts is the strict check (it counts `import type` too, which
// eslint-plugin-import's no-cycle ignores, and holds constructors to 60 lines);
// src/imports/ is generated and not linted.
project.eslint?.addOverride({
  files: ['src/**/*.ts'],
  rules: {
    'import/no-cycle': ['error', { ignoreExternal: true }],
    '@typescript-eslint/no-explicit-any': 'error',
    'max-lines-per-function': ['error', { max: 80 }],
  },
});

project.synth();
