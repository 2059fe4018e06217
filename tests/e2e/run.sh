#!/usr/bin/env bash
# End-to-end tests of the extension in a real VS Code (code-server 4.100.3 =
# VS Code 1.100.3 with its Node extension host), driven by headless chromium:
#   1. builds dist/lime-task-lint.vsix and installs it into a fresh profile;
#   2. runs the in-host mocha suite (tests/e2e/suite) inside the extension host;
#   3. runs the UI test (tests/e2e/ui-test.js), screenshots in test-output/e2e/.
# code-server listens on 127.0.0.1 only, in its own process group, which is killed
# on exit (with the extension hosts and language servers it started).
# Prerequisites: tests/e2e/install.sh. Last line: "N passed, N failed[, N skipped]".
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E=$REPO/tests/e2e
export LTL_TOOLS=${LTL_TOOLS:-$REPO/.tools}
OUT=$REPO/.e2e-out
export LTL_SHOTS=$REPO/test-output/e2e
CS_BIN=$LTL_TOOLS/cs/node_modules/.bin/code-server
log() { printf '[e2e] %s\n' "$*"; }

passed=0; failed=0; skipped=0
FAILURES=$(mktemp)
stop_code_server() {  # kills code-server's process group (its extension hosts and language servers too)
  if [ -f "$OUT/cs.pid" ]; then
    kill -- -"$(cat "$OUT/cs.pid")" 2>/dev/null
    sleep 0.5
    kill -9 -- -"$(cat "$OUT/cs.pid")" 2>/dev/null
    rm -f "$OUT/cs.pid"
  fi
}
finish() {
  local rc=$?
  stop_code_server
  [ "$rc" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1   # a broken harness counts as a failure
  # The failed tests by name, last (CI shows the output's end; the logs above are long).
  if [ -s "$FAILURES" ]; then
    log "failed:"; sed 's/^/  ✘ /' "$FAILURES"
  fi
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
  [ "$failed" -eq 0 ] && exit 0 || exit 1
}
trap finish EXIT

[ -x "$CS_BIN" ] || { log "code-server missing: run tests/e2e/install.sh first"; exit 1; }

# 1. The .vsix, exactly as users get it.
if [ "${LTL_E2E_SKIP_BUILD:-}" != "1" ] || [ ! -f "$REPO/dist/lime-task-lint.vsix" ]; then
  bash "$REPO/scripts/build-vsix.sh" 2>&1 | grep -v 'is ignored\|Running pip as' || exit 1
fi

# 2. A fresh extensions folder and workspace copy for every run; the user
#    settings every profile starts from.
rm -rf "$OUT"; mkdir -p "$OUT/user/User" "$OUT/ext" "$LTL_SHOTS"
rm -f "$LTL_SHOTS"/*.png
BASE_SETTINGS=$OUT/base-settings.json
cat > "$BASE_SETTINGS" <<'JSON'
{ "workbench.startupEditor": "none", "security.workspace.trust.enabled": false, "telemetry.telemetryLevel": "off",
  "extensions.autoUpdate": false, "extensions.autoCheckUpdates": false, "update.mode": "none",
  "workbench.enableExperiments": false, "workbench.tips.enabled": false, "editor.minimap.enabled": false,
  "files.hotExit": "off", "chat.disableAIFeatures": true, "git.openRepositoryInParentFolders": "never" }
JSON
# The workspace path has a space and a non-ASCII letter: VS Code percent-encodes
# both in every URI it sends (file:///…/%C3%85sa%20projekt/…), as Windows drive
# colons are. A second folder of a multi-root workspace switches the linter off
# in its .vscode/settings.json (a per-folder setting).
WS=$OUT/"Åsa projekt"; OFF_WS=$OUT/"Björn utan lint"
mkdir -p "$WS" "$OFF_WS/.vscode"
# Every suite starts from the same files: a suite's fixes or saves (fix-all on the
# example tasks) must not change what the next one sees.
fresh_workspace() {
  rm -rf "$WS/e2e_tmp"
  if [ -d "$REPO/examples" ]; then cp -r "$REPO/examples/." "$WS/"; fi
  cp -r "$E2E/workspace/." "$WS/"
}
fresh_workspace
echo '{ "limeTaskLint.enable": false }' > "$OFF_WS/.vscode/settings.json"
WORKSPACE_FILE=$OUT/e2e.code-workspace
node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({ folders: [{ path: process.argv[2] }, { path: process.argv[3] }], settings: {} }, null, 2))' \
  "$WORKSPACE_FILE" "$WS" "$OFF_WS"

log "installing the .vsix ($(du -k "$REPO/dist/lime-task-lint.vsix" | cut -f1) KiB)"
"$CS_BIN" --config /dev/null --user-data-dir "$OUT/user" --extensions-dir "$OUT/ext" \
  --install-extension "$REPO/dist/lime-task-lint.vsix" > "$OUT/install-extension.log" 2>&1 \
  || { cat "$OUT/install-extension.log"; exit 1; }
EXT_DIR=$(ls -d "$OUT"/ext/lime-task-lint.lime-task-lint-* | head -n 1)
[ -f "$EXT_DIR/out/extension.js" ] || { log "extension not installed"; exit 1; }

# Pythons: the suite runs once on the oldest supported Python (3.10) and once on
# the newest one found (scripts/find_python.py: pyenv's versions, then PATH); a
# missing one is reported and its run skipped, never silently replaced.
PY_OLDEST=${LIME_PYTHON_OLDEST:-$(python3 "$REPO/scripts/find_python.py" --oldest || true)}
PY_NEWEST=${LIME_PYTHON_NEWEST:-$(python3 "$REPO/scripts/find_python.py" --newest || true)}
# An unsupported Python, for the "too old is refused" test.
export LTL_E2E_PY_OLD=${LTL_E2E_PY_OLD-$(python3 "$REPO/scripts/find_python.py" 3.9 || python3 "$REPO/scripts/find_python.py" 3.8 || true)}
log "oldest supported Python: ${PY_OLDEST:-none}; newest: ${PY_NEWEST:-none}; unsupported: ${LTL_E2E_PY_OLD:-none}"

# 3. code-server on a free loopback port, in its own process group, with a fresh
#    profile (user settings = the base plus limeTaskLint.interpreter) each time:
#    a running code-server keeps serving the user settings it has read.
# code-server's environment reaches the extension host: the suite reads which run
# it is (Python, the other Python, where to write its counts) from this file.
export LTL_E2E_RUN_INFO=$OUT/run-info.json LTL_UI_RESULT=$OUT/ui-result.json
PORT=
start_code_server() {  # start_code_server <profile name> <python or "">
  local profile=$OUT/profile-$1
  mkdir -p "$profile/User"
  node -e '
    const fs = require("fs"); const [base, out, py] = process.argv.slice(1);
    const s = JSON.parse(fs.readFileSync(base, "utf8")); if (py) s["limeTaskLint.interpreter"] = py;
    fs.writeFileSync(out, JSON.stringify(s, null, 2));' "$BASE_SETTINGS" "$profile/User/settings.json" "$2"
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  setsid bash -c 'echo $$ > "$0/cs.pid"; exec "$1" --config /dev/null --auth none --bind-addr "127.0.0.1:$2" \
    --disable-telemetry --disable-update-check --disable-workspace-trust \
    --user-data-dir "$3" --extensions-dir "$0/ext"' "$OUT" "$CS_BIN" "$PORT" "$profile" > "$OUT/code-server-$1.log" 2>&1 &
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null || { log "code-server did not start"; cat "$OUT/code-server-$1.log"; return 1; }
  log "code-server $("$CS_BIN" --config /dev/null --version | head -n 1) on 127.0.0.1:$PORT (profile $1)"
}

add_counts() {  # add_counts <result json> <harness exit code> <suite label>
  local p f s
  if [ -f "$1" ]; then
    read -r p f s < <(node -e 'const r=require(process.argv[1]);console.log(r.passed,r.failed,r.skipped)' "$1")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    node -e 'for (const f of require(process.argv[1]).failures || []) console.log(`${process.argv[2]}: ${f}`)' \
      "$1" "$3" | cut -c1-300 >> "$FAILURES"
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
      failed=$((failed + 1)); echo "$3: the harness exited with $2" >> "$FAILURES"
    fi
  else
    failed=$((failed + 1)); echo "$3: the suite did not report (see its log above)" >> "$FAILURES"
  fi
}

# 4. In-host suite, once per Python: the user settings choose the interpreter
#    (limeTaskLint.interpreter), a fresh window loads the multi-root workspace.
run_suite_on() {  # run_suite_on <label> <python> <the other python, for the switch test>
  local label=$1 py=$2
  if [ -z "$py" ]; then
    log "SKIP in-host suite on the $label Python: none found on this machine"
    skipped=$((skipped + 1)); return
  fi
  log "in-host suite on the $label Python: $py ($("$py" --version 2>&1))"
  node -e 'require("fs").writeFileSync(process.env.LTL_E2E_RUN_INFO, JSON.stringify(
    { python: process.argv[1], alt: process.argv[2], label: process.argv[3], result: process.argv[4] }))' \
    "$py" "${3:-}" "$label" "$OUT/host-result-$label.json"
  fresh_workspace
  start_code_server "$label" "$py" || { failed=$((failed + 1)); echo "$label: code-server did not start" >> "$FAILURES"; return; }
  node "$E2E/host-runner.js" "$PORT" "$WORKSPACE_FILE" "$EXT_DIR" "$E2E/suite/index.js"
  local rc=$?
  stop_code_server
  add_counts "$OUT/host-result-$label.json" $rc "in-host suite on the $label Python"
}
run_suite_on oldest "$PY_OLDEST" "$PY_NEWEST"
run_suite_on newest "$PY_NEWEST" "$PY_OLDEST"

# 5. UI test with screenshots, on a fresh copy of the workspace.
fresh_workspace
log "UI test"
if start_code_server ui "$PY_NEWEST"; then
  node "$E2E/ui-test.js" "$PORT" "$WS"
  rc=$?
  stop_code_server
  add_counts "$LTL_UI_RESULT" $rc "UI test"
else
  failed=$((failed + 1)); echo "UI test: code-server did not start" >> "$FAILURES"
fi

log "screenshots: $(ls "$LTL_SHOTS" | tr '\n' ' ')"
if [ "$failed" -gt 0 ]; then
  log "logs: $OUT/code-server-*.log, $OUT/profile-*/logs/*/exthost*/"
  find "$OUT" -name 'Lime Task Lint.log' | while IFS= read -r f; do
    log "last lines of $f:"; tail -n 25 "$f"
  done
fi
