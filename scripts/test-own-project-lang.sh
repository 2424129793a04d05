#!/usr/bin/env bash
# Runs the own-project recipe of one language literally, as a new user would:
#   bash scripts/test-own-project-lang.sh python|go
# The blocks marked <!-- test: own-project-<lang>/... --> are extracted from
# docs/getting-started/<lang>.md (so the page and this test cannot drift) and run
# with bash -e: build in this checkout, setup in a fresh temporary folder (nothing
# is created inside the clone), the program file, then `cdk8s synth`.
# Then checks: the files the page promises, byte-identical to what the TypeScript
# recipe writes (README, scripts/test-own-project.sh; its output is taken from
# $CDK8S_MESH_TS_OUTPUT or produced first), and that no command printed an error,
# a warning, a notice or a jsii banner (b'!!!...' lines).
set -euo pipefail
LANG_ID=${1:?usage: test-own-project-lang.sh python|go}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PAGE="$ROOT/docs/getting-started/$LANG_ID.md"
cd "$ROOT"
case "$LANG_ID" in
  python) PROGRAM=main.py; STEPS=(setup synth) ;;
  go) PROGRAM=main.go; STEPS=(setup tidy synth) ;;
  *) echo "own-project-$LANG_ID: no recipe for '$LANG_ID'"; exit 1 ;;
esac

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cdk8s-mesh-own-$LANG_ID.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
LOG="$WORK/commands.log"
extract() { node "$ROOT/scripts/readme-blocks.js" "$PAGE" "own-project-$LANG_ID/$1"; }

# the TypeScript recipe's output, to compare with
TS_OUT=${CDK8S_MESH_TS_OUTPUT:-}
if [ -z "$TS_OUT" ]; then
  TS_OUT="$WORK/typescript"
  KEEP_OUTPUT="$TS_OUT" bash "$ROOT/scripts/test-own-project.sh" > "$WORK/typescript.log" 2>&1 || { cat "$WORK/typescript.log"; exit 1; }
fi
[ -f "$TS_OUT/shop.k8s.yaml" ] || { echo "own-project-$LANG_ID: no TypeScript output in $TS_OUT"; exit 1; }
START=$(date +%s)

clone_state() { git -C "$ROOT" status --porcelain --untracked-files=all; }
BEFORE=$(clone_state)

# 1. build in this checkout; the block exports a variable the setup reads
extract build > "$WORK/build.sh"
echo 'export -p > "$1"' >> "$WORK/build.sh"
( cd "$ROOT" && bash -e "$WORK/build.sh" "$WORK/build.env" ) 2>&1 | tee -a "$LOG"
[ "${PIPESTATUS[0]}" = 0 ] || { echo "own-project-$LANG_ID: the build block failed"; exit 1; }
BUILD_TIME=$(( $(date +%s) - START ))

# 2. the project, in a folder with nothing of this repository around it
for step in "${STEPS[@]}"; do
  extract "$step" > "$WORK/$step.sh"
  if [ "$step" = setup ]; then
    ( cd "$WORK" && . "$WORK/build.env" && env -u CDK8S_CHECK_UPGRADE -u NO_UPDATE_NOTIFIER bash -e "$WORK/setup.sh" ) 2>&1 | tee -a "$LOG"
    [ "${PIPESTATUS[0]}" = 0 ] || { echo "own-project-$LANG_ID: setup failed"; exit 1; }
    PROJECT=$(find "$WORK" -mindepth 2 -maxdepth 2 -name cdk8s.yaml -printf '%h\n' | head -1)
    [ -n "$PROJECT" ] || { echo "own-project-$LANG_ID: setup created no project with a cdk8s.yaml"; exit 1; }
    extract "$PROGRAM" > "$PROJECT/$PROGRAM"
    continue
  fi
  echo "--- own-project-$LANG_ID: $step"
  ( cd "$PROJECT" && . "$WORK/build.env" && env -u CDK8S_CHECK_UPGRADE -u NO_UPDATE_NOTIFIER bash -e "$WORK/$step.sh" ) 2>&1 | tee -a "$LOG"
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "own-project-$LANG_ID: '$step' failed"; exit 1; }
done

# nothing of the project inside the clone (the build writes only to gitignored folders)
if [ "$(clone_state)" != "$BEFORE" ]; then
  diff <(echo "$BEFORE") <(clone_state) || true
  echo "own-project-$LANG_ID: the recipe left files in the clone (above)"; exit 1
fi

# the files the page promises, byte-identical to the TypeScript project's
expected=$(sed -n "/<!-- test: own-project-$LANG_ID\/synth -->/,/^## \|^CI runs/p" "$PAGE" | grep -o 'dist/[a-z.-]*\.\(k8s\.yaml\|md\|jsonc\)' | sed 's|^dist/||' | sort -u)
actual=$(cd "$PROJECT/dist" && find . -type f | sed 's|^\./||' | sort)
if [ "$expected" != "$actual" ]; then
  echo "own-project-$LANG_ID: cdk8s synth wrote"; echo "$actual"; echo "but the page says"; echo "$expected"; exit 1
fi
if ! diff -r "$TS_OUT" "$PROJECT/dist"; then
  echo "own-project-$LANG_ID: the output differs from the TypeScript project's (diff above)"; exit 1
fi

# nothing alarming printed (jsii's EOL banner reaches Python as b'!!!...' lines)
# (jsii's "Errors: 0 | Warnings: 0", and Go's module downloads, some named *-deprecated, are not noise)
if grep -vE 'Errors: 0 \| Warnings: 0|--silence-warnings=|^go: (downloading|found) ' "$LOG" | grep -inE "error|warn|deprecat|ERR!|traceback|^\s+at |notice|vulnerab|^b'|!!!"; then
  echo "own-project-$LANG_ID: the documented commands printed the lines above"; exit 1
fi
echo "own-project-$LANG_ID: ok: $(echo "$actual" | tr '\n' ' ')identical to TypeScript ($(cat "$PROJECT"/dist/* | wc -c) bytes); build ${BUILD_TIME}s, total $(( $(date +%s) - START ))s"
