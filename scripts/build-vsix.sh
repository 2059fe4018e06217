#!/usr/bin/env bash
# Builds dist/lime-task-lint.vsix: the esbuild client bundle, the server package
# (server/lime_task_lint, sources and data only) and its pure-Python dependencies
# from the hash-pinned requirements-bundle.txt, so users need no `pip install`.
#
#   bash scripts/build-vsix.sh                 # build the .vsix (npm run package)
#   bash scripts/build-vsix.sh --update-lock   # rewrite requirements-bundle.txt from the pins below
#
# The extension is staged in build/vsix/ (gitignored) and packaged from there, so
# nothing of the repository (venvs, tools, tests) can slip into the .vsix.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
STAGE=$REPO/build/vsix
OUT=$REPO/dist/lime-task-lint.vsix
LOCK=$REPO/requirements-bundle.txt
# The oldest Python the server supports: wheels are chosen for it (pure Python,
# so they run on every newer version too; exceptiongroup is only needed by 3.10).
PY_TARGET=3.10

# Pins of the server's runtime dependencies and theirs (pyproject: pygls, lsprotocol, jedi, radon).
PINS=(
  pygls==2.1.1 lsprotocol==2025.0.0 cattrs==26.2.1 attrs==26.1.0 typing_extensions==4.16.0
  exceptiongroup==1.3.2 jedi==0.20.1 parso==0.8.7 radon==6.0.1 mando==0.7.1 colorama==0.4.6 six==1.17.0
)

log() { printf '[build-vsix] %s\n' "$*"; }

pick_python() {
  for py in "${PYTHON:-}" python3 "$REPO/.venv/bin/python" python; do
    [ -n "$py" ] && command -v "$py" >/dev/null 2>&1 && "$py" -m pip --version >/dev/null 2>&1 && { echo "$py"; return; }
  done
  echo "no Python with pip found (set PYTHON=...)" >&2
  exit 1
}
PY=$(pick_python)
PIP=("$PY" -m pip --disable-pip-version-check --no-input --quiet)

if [ "${1:-}" = "--update-lock" ]; then
  dl=$(mktemp -d); trap 'rm -rf "$dl"' EXIT
  "${PIP[@]}" download --dest "$dl" --no-deps --only-binary=:all: --implementation py \
    --python-version "$PY_TARGET" "${PINS[@]}"
  {
    echo "# Hash-pinned pure-Python dependencies bundled into the .vsix (bundled/libs)."
    echo "# Installed with: pip install --require-hashes --no-deps --only-binary=:all: --implementation py --python-version $PY_TARGET --target ..."
    echo "# Regenerate with: bash scripts/build-vsix.sh --update-lock (after editing PINS there)."
    for pin in "${PINS[@]}"; do
      name=${pin%%==*}; version=${pin##*==}
      norm=$(echo "$name" | tr 'A-Z-' 'a-z_')
      wheel=$(ls "$dl" | awk -v n="$norm" -v v="$version" 'tolower($0) ~ "^"n"-"v"-" {print; exit}')
      [ -n "$wheel" ] || { echo "no wheel for $pin in $dl: $(ls "$dl")" >&2; exit 1; }
      hash=$("$PY" -m pip hash "$dl/$wheel" | sed -n 's/^--hash=//p')
      printf '%s \\\n    --hash=%s\n' "$pin" "$hash"
    done
  } > "$LOCK"
  log "wrote $LOCK"
  exit 0
fi

# 1. Client bundle (typecheck + esbuild).
log "building the client"
if [ ! -d node_modules/vscode-languageclient ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

# 2. Stage the extension.
rm -rf "$STAGE"; mkdir -p "$STAGE/out" "$STAGE/server" "$STAGE/bundled/libs" "$(dirname "$OUT")"
cp package.json LICENSE CHANGELOG.md .vscodeignore "$STAGE/"
cp docs/extension.md "$STAGE/README.md"
cp out/extension.js "$STAGE/out/"

# 3. The server package: everything but caches and compiled files.
[ -f server/lime_task_lint/__init__.py ] || { echo "server/lime_task_lint missing" >&2; exit 1; }
(cd server && find lime_task_lint -name __pycache__ -prune -o -type f ! -name '*.py[co]' -print) |
  while IFS= read -r f; do install -D -m 0644 "server/$f" "$STAGE/server/$f"; done

# 4. Dependencies from the lock, for the oldest supported Python, pure Python only.
log "installing bundled libs with $("$PY" --version 2>&1)"
"${PIP[@]}" install --require-hashes --no-deps --only-binary=:all: --implementation py \
  --python-version "$PY_TARGET" --no-compile --target "$STAGE/bundled/libs" -r "$LOCK"
# pip also writes console scripts (bin/) and would leave caches; the tests of a
# library are not needed at run time.
rm -rf "$STAGE/bundled/libs/bin"
find "$STAGE" -name __pycache__ -type d -prune -exec rm -rf {} +
find "$STAGE" -name '*.py[co]' -delete
for t in "$STAGE"/bundled/libs/*/tests; do if [ -d "$t" ]; then rm -rf "$t"; fi; done
# jedi ships typeshed's third-party stubs and django-stubs (27 of its 33 MB, 4,500
# files). The server needs the standard library stubs only; for anything else jedi
# reads the real package in the user's environment, and it skips a missing stub
# folder (FileNotFoundError/OSError are caught in jedi/inference/gradual/typeshed.py).
# RECORD would list the files removed above (jedi's alone is 700 KB); METADATA stays
# for importlib.metadata.
rm -f "$STAGE"/bundled/libs/*.dist-info/{RECORD,INSTALLER,REQUESTED}
rm -rf "$STAGE/bundled/libs/jedi/third_party/typeshed/stubs" "$STAGE/bundled/libs/jedi/third_party/django-stubs"
# Nothing compiled may slip in: the bundle must work on every platform.
if find "$STAGE/bundled/libs" -name '*.so' -o -name '*.pyd' -o -name '*.dylib' | grep -q .; then
  echo "native files in bundled/libs" >&2; exit 1
fi

# 5. Package.
log "packaging"
(cd "$STAGE" && "$REPO/node_modules/.bin/vsce" package --no-dependencies --allow-missing-repository \
  --out "$OUT" >/dev/null)
size=$(stat -c %s "$OUT")
unpacked=$(du -sk "$STAGE" | cut -f1)
files=$(find "$STAGE" -type f | wc -l)
log "libs: $(ls "$STAGE/bundled/libs" | grep -v dist-info | tr '\n' ' ')"
log "wrote dist/lime-task-lint.vsix: $((size / 1024)) KiB ($size bytes); unpacked $unpacked KiB in $files files"
