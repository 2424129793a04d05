#!/usr/bin/env bash
# Checks the built site (cdk.out/site) in headless Chromium (npm run docs:check):
# scripts/docs/check-site.js. Installs what it needs itself: Debian's chromium
# (apt-get, when missing and running as root) and playwright-core, pinned, outside
# the tree ($CDK8S_MESH_CACHE, default ~/.cache/cdk8s-mesh). Screenshots go to
# $DOCS_SCREENSHOTS (default ${TMPDIR:-/tmp}/cdk8s-mesh-docs-screenshots).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
CACHE=${CDK8S_MESH_CACHE:-$HOME/.cache/cdk8s-mesh}
PLAYWRIGHT_CORE_VERSION=1.65.2
[ -f cdk.out/site/index.html ] || { echo "docs check: no cdk.out/site: run 'npm run docs' first"; exit 1; }

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
  else
    echo "docs check: $CHROMIUM is missing (apt-get install -y chromium)"; exit 1
  fi
fi
TOOLS="$CACHE/docs-node"
if [ "$(node -p "try { require('$TOOLS/node_modules/playwright-core/package.json').version } catch { '' }")" != "$PLAYWRIGHT_CORE_VERSION" ]; then
  mkdir -p "$TOOLS"
  npm install --prefix "$TOOLS" --no-audit --no-fund --no-save --silent "playwright-core@$PLAYWRIGHT_CORE_VERSION"
fi
echo "docs check: $("$CHROMIUM" --version 2>/dev/null | head -1), playwright-core $PLAYWRIGHT_CORE_VERSION"
CHROMIUM="$CHROMIUM" PLAYWRIGHT_CORE_DIR="$TOOLS" node scripts/docs/check-site.js cdk.out/site "${DOCS_SCREENSHOTS:-${TMPDIR:-/tmp}/cdk8s-mesh-docs-screenshots}"
