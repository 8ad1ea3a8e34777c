#!/usr/bin/env bash
# Builds the single executable dist/repo-cloner from main.ts.
# `deno compile` when its denort base is available (DENORT_BIN set, or downloadable); otherwise
# `bun build --compile`, which works offline. Says which one it used.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh
mkdir -p dist
out=dist/repo-cloner
tmp="$out.$$.partial"
rm -f "$tmp"
if [ "${REPO_CLONER_COMPILER:-}" != "bun" ] && deno compile --quiet -A --frozen --output "$tmp" main.ts 2>/tmp/repo-cloner-denocompile.err; then
  mv -f "$tmp" "$out"
  echo "compile: built $out with deno compile ($(deno --version | head -1))"
else
  [ "${REPO_CLONER_COMPILER:-}" = "bun" ] || echo "compile: deno compile unavailable ($(grep -m1 -oE 'dns error|DENORT_BIN[^.]*|error: [^.]*' /tmp/repo-cloner-denocompile.err || echo 'see /tmp/repo-cloner-denocompile.err')); using bun build --compile" >&2
  deno install --frozen >/dev/null 2>&1 || deno install --frozen
  # --bytecode (needs --format=esm for main.ts's top-level await) embeds precompiled JavaScriptCore
  # bytecode: startup CPU ~180 ms -> ~40-70 ms (bench/README.md). No identifier minification: error
  # class names are part of logs and --json output.
  bun build --compile --minify-syntax --bytecode --format=esm --target=bun main.ts --outfile "$tmp" >/dev/null
  mv -f "$tmp" "$out"
  echo "compile: built $out with bun build --compile (bun $(bun --version))"
fi
