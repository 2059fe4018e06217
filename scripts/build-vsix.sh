#!/usr/bin/env bash
# Builds dist/lime-task-lint.vsix: the esbuild client bundle, the server package
# (server/lime_task_lint, sources and data only) and its pure-Python dependencies
# from the hash-pinned requirements-bundle.txt, so users need no `pip install`.
#
#   bash scripts/build-vsix.sh                    # build the .vsix (npm run package)
#   bash scripts/build-vsix.sh --stage-python DIR # only the Python part (DIR/server, DIR/bundled/libs); no Node
#   bash scripts/build-vsix.sh --update-lock      # rewrite requirements-bundle.txt from the pins below,
#                                                 # and THIRD_PARTY_NOTICES from what they install
#
# The extension is staged in build/vsix/ (gitignored) and packaged from there, so
# nothing of the repository (venvs, tools, tests) can slip into the .vsix.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
STAGE=$REPO/build/vsix
OUT=$REPO/dist/lime-task-lint.vsix
LOCK=$REPO/requirements-bundle.txt
# Wheels are chosen for the oldest Python the server supports, read from
# pyproject's requires-python so the two always agree. Pure Python only
# (--implementation py), so they run on every newer version too; exceptiongroup
# and tomli are only needed by 3.10 and harmless on newer ones.
PY_TARGET=$(sed -n 's/^requires-python *= *">= *\([0-9][0-9.]*\)[ ,"].*/\1/p' pyproject.toml)
[ -n "$PY_TARGET" ] || { echo "no requires-python = \">=3.N\" in pyproject.toml" >&2; exit 1; }

# Pins of the server's runtime dependencies and theirs (pyproject: pygls,
# lsprotocol, jedi, radon, tomli, pathspec, packaging). radon's own
# dependencies (mando, colorama, six) are left out on purpose: only its CLI
# (radon.cli, never imported by the server) uses them; tests/test_bundle.py
# checks that the bundled server imports nothing missing.
PINS=(
  pygls==2.1.1 lsprotocol==2025.0.0 cattrs==26.2.1 attrs==26.1.0 typing_extensions==4.16.0
  exceptiongroup==1.3.2 jedi==0.20.1 parso==0.8.7 radon==6.0.1 tomli==2.5.0 pathspec==1.1.1 packaging==26.4
)

log() { printf '[build-vsix] %s\n' "$*"; }

pick_python() {  # a Python with pip and a TOML reader (tomllib, or tomli on 3.10)
  for py in "${PYTHON:-}" "$REPO/.venv/bin/python" python3 python; do
    [ -n "$py" ] && command -v "$py" >/dev/null 2>&1 && "$py" -m pip --version >/dev/null 2>&1 &&
      "$py" -c 'import sys; sys.version_info >= (3, 11) or __import__("tomli")' 2>/dev/null && { echo "$py"; return; }
  done
  echo "no Python with pip (and tomllib or tomli) found (set PYTHON=...)" >&2
  exit 1
}
PY=$(pick_python)
PIP=("$PY" -m pip --disable-pip-version-check --no-input --quiet)

# The Python half of the extension in $1: $1/server/lime_task_lint (sources and
# data, no caches) and $1/bundled/libs (the lock's wheels for PY_TARGET, pure
# Python only, plus lime_task_lint's own dist-info for its version and URLs).
stage_python() {
  local dest=$1 libs=$1/bundled/libs f t
  rm -rf "$dest/server" "$libs"; mkdir -p "$dest/server" "$libs"
  [ -f server/lime_task_lint/__init__.py ] || { echo "server/lime_task_lint missing" >&2; exit 1; }
  (cd server && find lime_task_lint -name __pycache__ -prune -o -type f ! -name '*.py[co]' -print) |
    while IFS= read -r f; do install -D -m 0644 "server/$f" "$dest/server/$f"; done

  log "installing bundled libs for Python $PY_TARGET with $("$PY" --version 2>&1)"
  "${PIP[@]}" install --require-hashes --no-deps --only-binary=:all: --implementation py \
    --python-version "$PY_TARGET" --no-compile --root-user-action=ignore --target "$libs" -r "$LOCK"
  # pip also writes console scripts (bin/) and would leave caches; the tests of a
  # library are not needed at run time.
  rm -rf "$libs/bin"
  find "$dest" -name __pycache__ -type d -prune -exec rm -rf {} +
  find "$dest" -name '*.py[co]' -delete
  for t in "$libs"/*/tests; do if [ -d "$t" ]; then rm -rf "$t"; fi; done
  # jedi ships typeshed's third-party stubs and django-stubs (27 of its 33 MB, 4,500
  # files). The server needs the standard library stubs only; for anything else jedi
  # reads the real package in the user's environment, and it skips a missing stub
  # folder (FileNotFoundError/OSError are caught in jedi/inference/gradual/typeshed.py).
  # RECORD would list the files removed above (jedi's alone is 700 KB); METADATA stays
  # for importlib.metadata.
  rm -f "$libs"/*.dist-info/{RECORD,INSTALLER,REQUESTED}
  rm -rf "$libs/jedi/third_party/typeshed/stubs" "$libs/jedi/third_party/django-stubs"
  # Nothing compiled may slip in: the bundle must work on every platform.
  if find "$libs" -name '*.so' -o -name '*.pyd' -o -name '*.dylib' | grep -q .; then
    echo "native files in bundled/libs" >&2; exit 1
  fi
  "$PY" scripts/vsix_metadata.py dist-info "$libs"
}

if [ "${1:-}" = "--stage-python" ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 --stage-python DIR" >&2; exit 2; }
  mkdir -p "$2"; stage_python "$(cd "$2" && pwd)"
  exit 0
fi

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
  stage_python "$dl/stage"
  "$PY" scripts/vsix_metadata.py notices "$dl/stage/bundled/libs" THIRD_PARTY_NOTICES
  log "wrote THIRD_PARTY_NOTICES"
  exit 0
fi

# 1. Client bundle (typecheck + esbuild).
log "building the client"
if [ ! -d node_modules/vscode-languageclient ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build

# 2. Stage the extension: manifest (with the project's URLs), docs, icon, client.
rm -rf "$STAGE"; mkdir -p "$STAGE/out" "$STAGE/media" "$(dirname "$OUT")"
cp package.json LICENSE CHANGELOG.md .vscodeignore "$STAGE/"
"$PY" scripts/vsix_metadata.py manifest "$STAGE/package.json"
cp docs/extension.md "$STAGE/README.md"
cp media/icon.png "$STAGE/media/"
cp out/extension.js "$STAGE/out/"

# 3. The server and its dependencies, and the licences of everything bundled.
stage_python "$STAGE"
"$PY" scripts/vsix_metadata.py notices "$STAGE/bundled/libs" --check THIRD_PARTY_NOTICES ||
  { echo "THIRD_PARTY_NOTICES does not match the bundle" >&2; exit 1; }
cp THIRD_PARTY_NOTICES "$STAGE/"

# 4. Package.
log "packaging"
(cd "$STAGE" && "$REPO/node_modules/.bin/vsce" package --no-dependencies --out "$OUT" >/dev/null)
size=$(stat -c %s "$OUT")
unpacked=$(du -sk "$STAGE" | cut -f1)
files=$(find "$STAGE" -type f | wc -l)
log "libs: $(ls "$STAGE/bundled/libs" | grep -v dist-info | tr '\n' ' ')"
log "wrote dist/lime-task-lint.vsix: $((size / 1024)) KiB ($size bytes); unpacked $unpacked KiB in $files files"
