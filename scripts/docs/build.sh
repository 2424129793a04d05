#!/usr/bin/env bash
# Builds the documentation site into cdk.out/site (npm run docs):
#   1. MkDocs and Material for MkDocs, pinned (scripts/docs/requirements.txt), in a
#      virtualenv outside the tree ($CDK8S_MESH_CACHE, default ~/.cache/cdk8s-mesh);
#   2. every TypeScript snippet of README.md and docs/ compiled against the jsii
#      assembly and translated to Python, Go and Java (scripts/docs/snippets.js);
#   3. the API reference per language, generated from the assembly by jsii-docgen
#      (TypeScript is the committed API.md);
#   4. mkdocs build --strict (a broken link, anchor or nav entry fails it).
# Needs a compiled assembly (.jsii): `npx projen compile` first.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
CACHE=${CDK8S_MESH_CACHE:-$HOME/.cache/cdk8s-mesh}
GEN="$ROOT/cdk.out/docs-gen"
VENV="$CACHE/docs-venv"
START=$(date +%s)

[ -f .jsii ] || { echo "docs: .jsii is missing: run 'npx projen compile' first"; exit 1; }

# 1. the generator, pinned, outside the tree (reinstalled when the pins change)
STAMP="$VENV/.requirements.sha256"
WANT=$(sha256sum scripts/docs/requirements.txt | cut -d' ' -f1)
if [ ! -x "$VENV/bin/mkdocs" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/docs/requirements.txt
  echo "$WANT" > "$STAMP"
fi
echo "docs: $("$VENV/bin/mkdocs" --version | cut -d' ' -f1-3), mkdocs-material $("$VENV/bin/pip" show mkdocs-material 2>/dev/null | sed -n 's/^Version: //p')"

# 2. snippets: compiled (strict) and translated
mkdir -p "$GEN"
node scripts/docs/snippets.js "$GEN"

# 3. the API reference per language (jsii-docgen reads the assembly of this package)
cp API.md "$GEN/API.typescript.md"
npx jsii-docgen -l python -l go -l java -o "$GEN/API" > "$GEN/docgen.log" 2>&1 || { cat "$GEN/docgen.log"; exit 1; }
for lang in python go java; do [ -s "$GEN/API.$lang.md" ] || { echo "docs: jsii-docgen wrote no $GEN/API.$lang.md"; exit 1; }; done

# 4. the site
rm -rf cdk.out/site
# (NO_MKDOCS_2_WARNING: Material 9.8 prints an announcement of its successor on every build)
NO_MKDOCS_2_WARNING=1 CDK8S_MESH_DOCS_GEN="$GEN" "$VENV/bin/mkdocs" build --strict --quiet
pages=$(find cdk.out/site -name '*.html' | wc -l)
echo "docs: cdk.out/site built in $(( $(date +%s) - START ))s: $pages HTML pages"
