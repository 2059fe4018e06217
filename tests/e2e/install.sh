#!/usr/bin/env bash
# Installs everything the end-to-end tests need on a fresh Debian 12 machine
# (root): Debian's chromium, code-server 4.100.3 (real VS Code 1.100.3 workbench
# with a Node extension host, the newest code-server that runs on Node 20) and
# playwright-core, pinned. Each step is skipped when already done, so a second
# run takes a second. Tools go to $REPO/.tools (gitignored).
# Recipe and the reasons for every flag: shared/design/real-vscode.md.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS=${LTL_TOOLS:-$REPO/.tools}
mkdir -p "$TOOLS"

log() { printf '[e2e-install] %s\n' "$*"; }

# 1. System packages. ripgrep only seeds @vscode/ripgrep's download cache;
#    build-essential/pkg-config/libkrb5-dev build code-server's native modules.
need_apt=()
for pkg in chromium ripgrep build-essential pkg-config libkrb5-dev curl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
else
  log "apt packages present"
fi

# 2. code-server, pinned.
CS_BIN="$TOOLS/cs/node_modules/.bin/code-server"
if [ -x "$CS_BIN" ] && "$CS_BIN" --config /dev/null --version 2>/dev/null | grep -q "^$CODE_SERVER_VERSION "; then
  log "code-server $CODE_SERVER_VERSION present"
else
  log "installing code-server $CODE_SERVER_VERSION (builds native modules, ~1.5 min)"
  # @vscode/ripgrep's postinstall downloads rg from GitHub (unreachable):
  # seed its cache with Debian's rg.
  RG_CACHE="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$RG_CACHE"
  RG_TGZ="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -f "$RG_TGZ" ]; then
    t=$(mktemp -d); cp "$(command -v rg)" "$t/rg"; tar czf "$RG_TGZ" -C "$t" rg; rm -rf "$t"
  fi
  rm -rf "$TOOLS/cs"; mkdir -p "$TOOLS/cs"
  echo '{"name":"cs-host","private":true}' > "$TOOLS/cs/package.json"
  # nodedir: use the local Node headers instead of downloading them;
  # unsafe_perm: code-server's postinstall refuses root without it;
  # yes: node-pty's postinstall runs `npx node-gyp`.
  (cd "$TOOLS/cs" && npm_config_nodedir=/usr npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" > "$TOOLS/cs-install.log" 2>&1) \
    || { tail -n 40 "$TOOLS/cs-install.log"; exit 1; }
  "$CS_BIN" --config /dev/null --version
fi

# 3. playwright-core (drives Debian's chromium; downloads no browser), pinned.
PW_PKG="$TOOLS/pw/node_modules/playwright-core/package.json"
if [ -f "$PW_PKG" ] && [ "$(node -p "require('$PW_PKG').version")" = "$PLAYWRIGHT_VERSION" ]; then
  log "playwright-core $PLAYWRIGHT_VERSION present"
else
  log "installing playwright-core $PLAYWRIGHT_VERSION"
  mkdir -p "$TOOLS/pw"; echo '{"name":"e2e-tools","private":true}' > "$TOOLS/pw/package.json"
  (cd "$TOOLS/pw" && npm install --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION")
fi

# 4. The extension's own node modules (mocha for the in-host suite, vsce to package).
if [ ! -d "$REPO/node_modules/vscode-languageclient" ]; then
  log "npm ci"
  (cd "$REPO" && npm ci --no-audit --no-fund --loglevel=error)
fi
log "done"
