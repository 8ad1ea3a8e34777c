#!/usr/bin/env bash
# README quick start: sets up the pinned toolchain (Deno, Bun from the npm registry), builds the single
# binary dist/repo-cloner, then runs `repo-cloner demo`: create -> verify -> restore -> push of a sample
# repository into a local bare "internal server", fully offline. Extra arguments go to the demo
# (e.g. --dir /tmp/my-demo). Git LFS is shown when git-lfs is installed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. scripts/bootstrap.sh
command -v git >/dev/null || { echo "demo: git is required (apt-get install git)" >&2; exit 1; }
command -v git-lfs >/dev/null || echo "demo: git-lfs is not installed; the demo runs without an LFS file (apt-get install git-lfs to see it)" >&2
bash scripts/compile.sh
exec dist/repo-cloner demo "$@"
