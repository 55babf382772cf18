#!/usr/bin/env bash
# Installs what the end-to-end tests need on a fresh Debian machine with Node 20 + npm:
#  - Debian packages: chromium (the browser Playwright drives), ripgrep (code-server's search
#    binary, see below), and the headers code-server's native modules build against;
#  - code-server@4.100.3 (VS Code 1.100.3, the last line that runs on Node 20) from npm, into
#    $CODE_SERVER_DIR (default ~/.cache/synthetic-csv-e2e/code-server-4.100.3), outside the project.
# Idempotent: a finished install is detected and skipped. Prints the code-server binary path last.
set -euo pipefail

VERSION=4.100.3
DIR="${CODE_SERVER_DIR:-$HOME/.cache/synthetic-csv-e2e/code-server-$VERSION}"
BIN="$DIR/node_modules/code-server/out/node/entry.js"

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
command -v rg >/dev/null || need_apt+=(ripgrep)
for pkg in build-essential python3 pkg-config libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if ((${#need_apt[@]})); then
  echo "e2e setup: apt-get install ${need_apt[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
fi

if [ -f "$DIR/.installed" ] && [ -f "$BIN" ]; then
  echo "$BIN"
  exit 0
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub, which is not reachable: it looks in its
# download cache first, so put Debian's rg there under the asset name it expects.
RG_PACKAGE_VERSION="${RG_PACKAGE_VERSION:-1.15.11}"
RG_ASSET="${RG_ASSET:-ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz}"
CACHE="$(node -p "require('os').tmpdir()")/vscode-ripgrep-cache-$RG_PACKAGE_VERSION"
mkdir -p "$CACHE"
if [ ! -f "$CACHE/$RG_ASSET" ]; then
  staging="$(mktemp -d)"
  cp "$(command -v rg)" "$staging/rg"
  tar -C "$staging" -czf "$CACHE/$RG_ASSET" rg
  rm -rf "$staging"
fi

mkdir -p "$DIR"
echo "e2e setup: npm install code-server@$VERSION into $DIR (several minutes: native modules are built)" >&2
# The postinstall refuses root without unsafe_perm, and runs `npx node-gyp` (needs yes=true).
# npm 11.19+ skips dependency install scripts unless allowed; code-server's postinstall runs
# nested `npm install`s that build native modules, so allow scripts for this isolated install
# only (older npm ignores the setting).
(
  cd "$DIR"
  rm -rf node_modules package-lock.json
  echo '{"name":"code-server-e2e","private":true}' > package.json
  npm_config_unsafe_perm=true npm_config_yes=true npm_config_dangerously_allow_all_scripts=true \
    npm install --no-audit --no-fund --no-save --foreground-scripts "code-server@$VERSION" >&2
)
# The postinstall installs VS Code's own dependencies: without them code-server cannot start.
[ -f "$BIN" ] && [ -d "$DIR/node_modules/code-server/lib/vscode/node_modules" ] || {
  echo "e2e setup: code-server did not install completely ($DIR)" >&2
  exit 1
}
touch "$DIR/.installed"
echo "$BIN"
