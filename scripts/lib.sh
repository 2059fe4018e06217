# Shared steps of scripts/setup and scripts/test (sourced, not run).
log() { printf '\n==> %s\n' "$*" >&2; }

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3.10 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
      echo "$candidate"; return 0
    fi
  done
  echo "lime-task-lint needs Python 3.10 or newer on PATH" >&2
  return 1
}

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    "$(pick_python)" -m venv .venv
  fi
  log "installing the server and its test tools into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
}

ensure_node_deps() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm is needed to build the VS Code extension" >&2
    return 1
  fi
  log "installing the extension's npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
}

# The interpreters the bundled server is tested on: the oldest supported Python
# (pyproject's requires-python floor, 3.10) and the newest one on this machine,
# from pyenv's versions or PATH (scripts/find_python.py). Exported for pytest
# (tests/test_bundle.py) and the real-VS-Code suite (tests/e2e/run.sh); when one
# is missing its tests are skipped and say why.
find_test_pythons() {
  local py=python3
  [ -x .venv/bin/python ] && py=.venv/bin/python
  LIME_PYTHON_OLDEST=${LIME_PYTHON_OLDEST:-$("$py" scripts/find_python.py --oldest || true)}
  LIME_PYTHON_NEWEST=${LIME_PYTHON_NEWEST:-$("$py" scripts/find_python.py --newest || true)}
  export LIME_PYTHON_OLDEST LIME_PYTHON_NEWEST
  log "Pythons for the bundled server: oldest supported ${LIME_PYTHON_OLDEST:-NONE FOUND (its tests are skipped)}; newest ${LIME_PYTHON_NEWEST:-NONE FOUND (its tests are skipped)}"
}
