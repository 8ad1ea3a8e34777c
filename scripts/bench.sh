#!/usr/bin/env bash
# Archive benchmark (bench/README.md): builds dist/repo-cloner, makes sure GNU time is installed, then
# runs bench/archive_bench.ts. Arguments go to the harness, e.g.:
#   bash scripts/bench.sh                 # full run: ≥20,000 commits, ≥200 MB pack, 3 runs per side
#   bash scripts/bench.sh --smoke         # tiny repository, one run per side: proves the harness works
#   bash scripts/bench.sh --incremental   # adds issue 7's incremental figures
# Set BENCH_NO_COMPILE=1 to use the existing binary as is. Never part of scripts/test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "bench: installing GNU time (Debian package time) for peak-memory figures" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time >&2; }
  else
    echo "bench: needs /usr/bin/time (GNU time): sudo apt-get install time, then run again." >&2
    exit 2
  fi
fi
if [ "${BENCH_NO_COMPILE:-}" != 1 ] || [ ! -x dist/repo-cloner ]; then
  bash scripts/compile.sh >&2
fi
exec deno run -A --frozen bench/archive_bench.ts "$@"
