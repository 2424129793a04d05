#!/usr/bin/env bash
# Builds the live stage's programs into conformance/bin/live/ (once; rebuilt when a go.mod,
# go.sum or this module's source changes) and gathers the CRDs the output relies on and does
# not carry (Argo Rollouts, Argo CD, Prometheus operator) from their Go module zips.
#   etcd, kube-apiserver, kube-controller-manager  this module (k8s.io/kubernetes v1.35.4, etcd v3.6.5 embed)
#   pilot-discovery                                conformance/ (the suite's istio.io/istio)
#   rollouts-controller                            conformance/argo (argo-rollouts v1.10.2, GOTOOLCHAIN=go1.27.3)
#   live                                           conformance/cmd/live (the stage itself; always rebuilt)
set -euo pipefail
cd "$(dirname "$0")/.."            # conformance/
OUT=bin/live
mkdir -p "$OUT/crds"
stamp=$(cat live/go.mod live/go.sum live/cmd/etcd/*.go go.mod go.sum argo/go.mod argo/go.sum live/build.sh | sha256sum | cut -c1-16)
LDFLAGS='-s -w'
if [ "$(cat "$OUT/.stamp" 2>/dev/null)" != "$stamp" ]; then
  t0=$(date +%s)
  (cd live && go build -ldflags="$LDFLAGS" -o "../$OUT/" ./cmd/etcd k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager)
  go build -ldflags="$LDFLAGS" -o "$OUT/" istio.io/istio/pilot/cmd/pilot-discovery
  (cd argo && GOTOOLCHAIN=go1.27.3 go build -ldflags="$LDFLAGS" -o "../$OUT/" github.com/argoproj/argo-rollouts/cmd/rollouts-controller)
  rollouts=$(cd argo && GOTOOLCHAIN=go1.27.3 go list -m -f '{{.Dir}}' github.com/argoproj/argo-rollouts)
  argocd=$(cd /tmp && GOTOOLCHAIN=go1.27.3 GOFLAGS=-mod=mod go mod download -json github.com/argoproj/argo-cd/v3@v3.6.1 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  promop=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json github.com/prometheus-operator/prometheus-operator@v0.85.0 | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  rm -f "$OUT"/crds/*.yaml
  for f in rollout analysis-template cluster-analysis-template analysis-run experiment; do cp "$rollouts/manifests/crds/$f-crd.yaml" "$OUT/crds/argo-rollouts-$f.yaml"; done
  for f in application appproject; do cp "$argocd/manifests/crds/$f-crd.yaml" "$OUT/crds/argo-cd-$f.yaml"; done
  for f in servicemonitors podmonitors prometheusrules; do cp "$promop/example/prometheus-operator-crd/monitoring.coreos.com_$f.yaml" "$OUT/crds/prometheus-operator-$f.yaml"; done
  chmod u+w "$OUT"/crds/*.yaml
  echo "$stamp" > "$OUT/.stamp"
  echo "live: built etcd, kube-apiserver, kube-controller-manager, pilot-discovery, rollouts-controller in $(( $(date +%s) - t0 ))s"
else
  echo "live: binaries up to date ($OUT, stamp $stamp)"
fi
go build -o "$OUT/live" ./cmd/live
