#!/usr/bin/env bash
# Runs the README's "In your own project" recipe literally, as a new user would:
# the blocks marked <!-- test: own-project/... --> are extracted from README.md
# (so the README and this test cannot drift) and run with bash -e:
#   build  in this checkout (npm ci, upstream data, compile, package:js -> $CDK8S_MESH_TGZ)
#   setup  in a fresh temporary folder (npm init, install the tarball + pinned tools, tsconfig, cdk8s.yaml)
#   main.ts written from the README's snippet
#   synth  `npx cdk8s synth`
# Then checks: the files the README says are written (and no others), every
# object through the strict validator of the tests, and no command printed an
# error, a warning or a stack trace.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-mesh-own-project.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
LOG="$WORK/commands.log"

extract() { node "$ROOT/scripts/readme-blocks.js" "$ROOT/README.md" "own-project/$1"; }
extract build > "$WORK/build.sh"
extract setup > "$WORK/setup.sh"
extract main.ts > "$WORK/main.ts"
extract synth > "$WORK/synth.sh"

run() { # run <label> <dir> <script>: prints the output, keeps it for the noise check
  local label=$1 dir=$2 script=$3
  echo "--- own-project: $label (in $dir)"
  ( cd "$dir" && bash -e "$script" ) 2>&1 | tee -a "$LOG"
  return "${PIPESTATUS[0]}"
}

# 1. build the tarball in this checkout; the block exports CDK8S_MESH_TGZ
echo 'echo "CDK8S_MESH_TGZ=$CDK8S_MESH_TGZ" > "$1"' >> "$WORK/build.sh"
( cd "$ROOT" && bash -e "$WORK/build.sh" "$WORK/tgz.env" ) 2>&1 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" = 0 ] || { echo "own-project: the build block failed"; exit 1; }
# shellcheck disable=SC1091
. "$WORK/tgz.env"
export CDK8S_MESH_TGZ
[ -f "$CDK8S_MESH_TGZ" ] || { echo "own-project: the build block named $CDK8S_MESH_TGZ, which does not exist"; exit 1; }
echo "own-project: tarball $CDK8S_MESH_TGZ ($(stat -c %s "$CDK8S_MESH_TGZ") bytes)"

# 2. the project, in a folder with nothing of this repository around it
run setup "$WORK" "$WORK/setup.sh"
PROJECT="$WORK/my-mesh"
[ -f "$PROJECT/package.json" ] || { echo "own-project: setup did not create my-mesh/"; exit 1; }
cp "$WORK/main.ts" "$PROJECT/main.ts"
installed=$(cd "$PROJECT" && node -p 'require("typescript/package.json").version + " ts-node " + require("ts-node/package.json").version + " cdk8s-mesh " + require("cdk8s-mesh/package.json").version')
echo "own-project: installed typescript $installed"

# 3. synth, without the environment CI sets (a user's shell has no CDK8S_CHECK_UPGRADE)
( cd "$PROJECT" && env -u CDK8S_CHECK_UPGRADE -u NO_UPDATE_NOTIFIER bash -e "$WORK/synth.sh" ) 2>&1 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" = 0 ] || { echo "own-project: cdk8s synth failed"; exit 1; }

# the files the README promises, and only those
expected=$(sed -n '/<!-- test: own-project\/synth -->/,/^## /p' "$ROOT/README.md" | grep -o 'dist/[a-z.-]*\.\(k8s\.yaml\|md\|jsonc\)' | sort -u)
actual=$(cd "$PROJECT" && find dist -type f | sort)
if [ "$expected" != "$actual" ]; then
  echo "own-project: cdk8s synth wrote"; echo "$actual"; echo "but the README says"; echo "$expected"; exit 1
fi
echo "own-project: files as the README says: $(echo "$actual" | tr '\n' ' ')"

# every object through the strict validator (test/util)
npx ts-node --project "$ROOT/test/tsconfig.json" --transpile-only "$ROOT/scripts/validate-manifests.ts" "$PROJECT/dist"

# nothing alarming in what the documented commands printed
# (jsii's success summary "Errors: 0 | Warnings: 0" and its --silence-warnings flag are not noise)
if grep -vE 'Errors: 0 \| Warnings: 0|--silence-warnings=' "$LOG" | grep -inE 'error|warn|deprecat|ERR!|trace|^\s+at |notice|vulnerab'; then
  echo "own-project: the documented commands printed the lines above (errors, warnings or notices)"
  exit 1
fi
echo "own-project: ok (no error, warning or notice printed)"
