#!/usr/bin/env bash
# The whole test suite, from a fresh machine: toolchain, Debian test packages (as root), static checks,
# the compiled binary, then every test. Extra arguments are passed to `deno test` (e.g. a file filter).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh --test-deps
echo "== install (frozen lockfile)"
deno install --frozen
echo "== fmt / lint / check"
deno fmt --check
deno lint
deno check main.ts src tests bench examples
echo "== compile"
bash scripts/compile.sh
echo "== test"
mkdir -p tests/artifacts
log=tests/artifacts/deno-test.log
set +e
if [ "$#" -eq 0 ]; then set -- tests/ src/; fi
deno test -A --frozen --parallel "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# A plain closing line that any CI reader understands.
summary=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -1)
passed=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
failed=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
ignored=$(echo "$summary" | grep -oE '[0-9]+ ignored' | grep -oE '[0-9]+' || echo 0)
echo "${passed} passed, ${failed} failed, ${ignored} skipped"
if [ "$rc" -eq 0 ] && [ "${passed:-0}" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
exit "$rc"
