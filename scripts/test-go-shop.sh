#!/usr/bin/env bash
# Go for real: generates the Go module (jsii-pacmak --target go, plus the cdk8s
# and cdk8s-plus-28 Go modules from the pinned npm packages: the Go proxy here
# refuses the cdk8s-team modules), builds examples/go-shop against it with the
# jsii Go runtime and constructs-go from the proxy, runs it with `cdk8s synth`,
# and requires its output to be byte-identical to the TypeScript flask-shop's.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-mesh-go.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# compile unless .jsii is newer than every source (CI has just compiled)
if [ ! -f .jsii ] || [ ! -f assets/istio/crd-all.gen.yaml ] || [ -n "$(find src -name '*.ts' -newer .jsii | head -1)" ]; then
  npx projen compile
fi
npx projen package:go
echo "go: $(go version); generated module $(head -1 dist/go/cdk8smesh/go.mod)"
# go.mod/go.sum are committed; -mod=readonly fails instead of rewriting them
( cd examples/go-shop && go build -mod=readonly -o "$WORK/go-shop" . && go vet -mod=readonly . )

( cd examples/flask-shop && npx cdk8s synth --no-check-upgrade -o "$WORK/typescript" )
( cd examples/go-shop && npx cdk8s synth --no-check-upgrade -o "$WORK/go" )

if ! diff -r "$WORK/typescript" "$WORK/go"; then
  echo "go: examples/go-shop does not write what examples/flask-shop writes (diff above)"
  exit 1
fi
echo "go: identical output: $(cd "$WORK/go" && ls | tr '\n' ' ')($(cat "$WORK"/go/* | wc -c) bytes)"
