#!/usr/bin/env bash
# Python for real: builds the wheel (jsii-pacmak), installs it into a fresh
# virtualenv with constructs, cdk8s and cdk8s-plus-28 from PyPI at the versions
# package.json pins, runs examples/python-shop with `cdk8s synth`, and requires
# its output to be byte-identical to the TypeScript flask-shop's (diff -r).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-mesh-python.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

pin() { node -p "require('./package.json').devDependencies['$1'].replace(/^[\\^~]/, '')"; }
CDK8S=$(pin cdk8s); PLUS=$(pin cdk8s-plus-28); CONSTRUCTS=$(pin constructs)

# compile unless .jsii is newer than every source (CI has just compiled)
if [ ! -f .jsii ] || [ ! -f assets/istio/crd-all.gen.yaml ] || [ -n "$(find src -name '*.ts' -newer .jsii | head -1)" ]; then
  npx projen compile
fi
npx projen package:python
WHEEL=$(ls dist/python/cdk8s_mesh-*-py3-none-any.whl)
echo "python: wheel $WHEEL ($(stat -c %s "$WHEEL") bytes); cdk8s==$CDK8S cdk8s-plus-28==$PLUS constructs==$CONSTRUCTS"

python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check "$WHEEL" "cdk8s==$CDK8S" "cdk8s-plus-28==$PLUS" "constructs==$CONSTRUCTS"
"$WORK/venv/bin/pip" list --disable-pip-version-check 2>/dev/null | grep -iE '^(cdk8s|constructs|jsii)'

( cd examples/flask-shop && npx cdk8s synth --no-check-upgrade -o "$WORK/typescript" )
( cd examples/python-shop && PATH="$WORK/venv/bin:$PATH" npx cdk8s synth --no-check-upgrade -o "$WORK/python" )

if ! diff -r "$WORK/typescript" "$WORK/python"; then
  echo "python: examples/python-shop does not write what examples/flask-shop writes (diff above)"
  exit 1
fi
echo "python: identical output: $(cd "$WORK/python" && ls | tr '\n' ' ')($(cat "$WORK"/python/* | wc -c) bytes)"
