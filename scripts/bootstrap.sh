#!/usr/bin/env bash
# Installs the pinned toolchain (Deno, Bun) from the npm registry into .tools/ and, when run as root,
# the Debian packages the tests need. Idempotent; prints what it does. Source it to get PATH set:
#   . scripts/bootstrap.sh [--test-deps]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DENO_VERSION=2.9.6
BUN_VERSION=1.4.5
TOOLS="$ROOT/.tools"
mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/node_modules/.bin/deno" ] || ! "$TOOLS/node_modules/.bin/deno" --version 2>/dev/null | grep -q "deno $DENO_VERSION" \
  || [ ! -x "$TOOLS/node_modules/.bin/bun" ] || [ "$("$TOOLS/node_modules/.bin/bun" --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  echo "bootstrap: installing deno@$DENO_VERSION and bun@$BUN_VERSION from the npm registry into .tools/" >&2
  (cd "$TOOLS" && [ -f package.json ] || echo '{"private":true}' >"$TOOLS/package.json")
  npm install --prefix "$TOOLS" --no-save --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION" "bun@$BUN_VERSION" >&2
fi
export PATH="$TOOLS/node_modules/.bin:$PATH"
export DENO_NO_UPDATE_CHECK=1

if [ "${1:-}" = "--test-deps" ]; then
  # Debian packages the test suite runs for real. Installed when missing (as root), else named.
  need=()
  command -v git-lfs >/dev/null || need+=(git-lfs)
  command -v minisign >/dev/null || need+=(minisign)
  command -v promtool >/dev/null || need+=(prometheus)
  command -v prometheus-pushgateway >/dev/null || need+=(prometheus-pushgateway)
  command -v aws >/dev/null || need+=(awscli)
  command -v chromium >/dev/null || need+=(chromium)
  command -v unshare >/dev/null || need+=(util-linux)
  command -v jq >/dev/null || need+=(jq) # the docs' log queries run verbatim (tests/doc_log_commands_test.ts)
  [ -x /usr/bin/time ] || need+=(time) # GNU time: peak RSS in tests/bench_test.ts (bench smoke mode)
  # Dependency tests run the real pip (download, venv installs) and npm against loopback servers.
  python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
  python3 -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
  if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "bootstrap: installing Debian packages: ${need[*]}" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
    else
      echo "bootstrap: the tests need these Debian packages: ${need[*]}" >&2
      echo "bootstrap: install them (sudo apt-get install ${need[*]}) or run as root, then run again." >&2
      exit 1
    fi
  fi
  git lfs version >/dev/null
fi
