/**
 * `restore-scripts/restore.sh`, shipped in every archive so it stays usable if the binary is lost.
 * The script needs only a POSIX shell, tar, sha256sum, git and the usual POSIX utilities (sed, find,
 * grep, sort, mktemp, cp). It checks every file against manifest.json first (the manifest's `files`
 * entries are one per line, see manifest_json.ts, so `sed` turns them into a `sha256sum -c` list),
 * refuses unlisted files, then clones from the bundle, compares the refs with the manifest, places the
 * LFS objects and checks out. Dependency setup scripts (`restore-scripts/setup-*.sh`, written by the
 * dependencies step) are run as `sh setup-X.sh REPO_DIR` unless INSTALL_DEPENDENCIES=false.
 */

/** Path of the script inside the archive. */
export const RESTORE_SCRIPT_PATH = "restore-scripts/restore.sh";

/** The script's text. It depends on nothing but the manifest, so it is the same in every archive. */
export function restoreScript(): string {
  return SCRIPT.replaceAll("@{", "${");
}

// Written with "@{" for the shell's "${", which a template literal cannot hold.
const SCRIPT = String.raw`#!/bin/sh
# Rebuilds the git repository carried in this repo-cloner archive (format v1) without repo-cloner.
#
#   sh restore.sh ARCHIVE.tar.gz [DEST]    extract ARCHIVE to a temporary directory, then restore
#   sh restore-scripts/restore.sh [DEST]   run from an archive extracted with "tar -xzf"
#
# DEST defaults to ./<repository name> and must not exist or be empty; nothing is overwritten.
# An incremental archive is applied onto DEST, the repository restored from its base (and the
# incrementals before it, in order): DEST's branches and tags must be exactly the base's.
# Every file is checked against manifest.json (sha256) before anything is used.
# INSTALL_DEPENDENCIES=false skips the restore-scripts/setup-*.sh dependency installers.
set -eu

die() { printf 'restore.sh: error: %s\n' "$*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }
for tool in tar sha256sum git sed find sort mktemp cp; do
  command -v "$tool" >/dev/null 2>&1 || die "cannot restore: \"$tool\" is not installed"
done

work=""
partial=""
cleanup() {
  if [ -n "$partial" ]; then rm -rf "$partial"; fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$#" -ge 1 ] && [ -f "$1" ]; then
  archive=$1
  shift
  work=$(mktemp -d "@{TMPDIR:-/tmp}/repo-cloner-restore.XXXXXX")
  say "Extracting $archive"
  tar -xzf "$archive" -C "$work" || die "cannot extract \"$archive\": not a readable .tar.gz archive"
  root=$work
else
  root=$(cd "$(dirname "$0")/.." && pwd)
fi
manifest="$root/manifest.json"
[ -f "$manifest" ] || die "cannot restore: \"$manifest\" is missing; is this a repo-cloner archive?"
grep -q '^  "format_version": 1,$' "$manifest" || die "cannot restore: unsupported manifest format (need format_version 1)"

# 1. Integrity: the manifest's own seal, every listed file's sha256, nothing unlisted.
seal=$(sed -n 's/^  "manifest_sha256": "\([0-9a-f]\{64\}\)",\{0,1\}$/\1/p' "$manifest")
if [ -n "$seal" ]; then
  zeros=0000000000000000000000000000000000000000000000000000000000000000
  actual=$(sed "s/^  \"manifest_sha256\": \"$seal\"/  \"manifest_sha256\": \"$zeros\"/" "$manifest" | sha256sum | sed 's/ .*//')
  [ "$actual" = "$seal" ] || die "cannot restore: manifest.json is damaged (its manifest_sha256 seal does not match)"
fi
sums=$(mktemp "@{TMPDIR:-/tmp}/repo-cloner-sums.XXXXXX")
sed -n 's/^    {"path":"\([^"\\]*\)","sha256":"\([0-9a-f]\{64\}\)","size":[0-9]*},\{0,1\}$/\2  \1/p' "$manifest" >"$sums"
listed=$(grep -c '' "$sums" || true)
declared=$(grep -c '^    {"path":' "$manifest" || true)
if [ "$listed" -eq 0 ] || [ "$listed" -ne "$declared" ]; then
  rm -f "$sums"
  die "cannot restore: manifest.json lists no files or lists them in an unexpected form"
fi
say "Checking $listed files against manifest.json"
if ! (cd "$root" && sha256sum -c --quiet "$sums"); then
  rm -f "$sums"
  die "cannot restore: a file does not match its sha256 in manifest.json; the archive is corrupt"
fi
rm -f "$sums"
found=$(cd "$root" && find . -type f ! -path ./manifest.json | grep -c '' || true)
[ "$found" -eq "$listed" ] || die "cannot restore: the archive holds $found files but manifest.json lists $listed"
others=$(cd "$root" && find . ! -type f ! -type d | head -n 1)
[ -z "$others" ] || die "cannot restore: the archive holds \"$others\", which is not a regular file"
say "  all files match"

want=$(sed -n '/^  "refs": {$/,/^  }/ s/^    "\(.*\)": "\([0-9a-f]\{40,64\}\)",\{0,1\}$/\2 \1/p' "$manifest" \
  | sed 's/\\"/"/g' | LC_ALL=C sort)
refs_of() {
  git -C "$1" for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags
}

# An incremental archive: applied onto the repository restored from its base.
if grep -q '^  "type": "incremental",$' "$manifest"; then
  dest=@{1:-}
  [ -n "$dest" ] && [ -d "$dest" ] || die "cannot apply an incremental archive: give the repository restored from its base as DEST"
  base_state=$(sed -n '/^  "base": {$/,/^  }/ s/^    "refs_sha256": "\([0-9a-f]\{64\}\)",\{0,1\}$/\1/p' "$manifest")
  [ "$(refs_of "$dest" | sha256sum | sed 's/ .*//')" = "$base_state" ] \
    || die "cannot apply: the branches and tags of \"$dest\" are not those of the base archive; nothing was changed"
  bare=$(git -C "$dest" rev-parse --is-bare-repository)
  if [ "$bare" = false ] && [ -n "$(git -C "$dest" status --porcelain --untracked-files=no)" ]; then
    die "cannot apply: \"$dest\" has uncommitted changes; nothing was changed"
  fi
  if [ -s "$root/repo.bundle" ]; then
    say "Fetching repo.bundle"
    git -C "$dest" fetch -q --no-tags "$root/repo.bundle" '+refs/heads/*:refs/repo-cloner/incoming/heads/*' \
      '+refs/tags/*:refs/repo-cloner/incoming/tags/*' || die "cannot apply repo.bundle (missing prerequisites?); nothing was changed"
  fi
  names=$(printf '%s\n' "$want" | sed 's/^[^ ]* //')
  {
    printf '%s\n' "$want" | while read -r oid ref; do [ -z "$ref" ] || printf 'update %s %s\n' "$ref" "$oid"; done
    git -C "$dest" for-each-ref --format='%(refname)' refs/heads refs/tags refs/repo-cloner | while read -r ref; do
      printf '%s\n' "$names" | grep -qxF "$ref" || printf 'delete %s\n' "$ref"
    done
  } | git -C "$dest" update-ref --stdin || die "cannot update the refs (an object is missing?); the branches and tags are unchanged"
  [ "$want" = "$(refs_of "$dest" | LC_ALL=C sort)" ] || die "cannot apply: the refs differ from manifest.json"
  gitdir=$(cd "$dest" && cd "$(git rev-parse --git-dir)" && pwd)
  if [ -d "$root/lfs/objects" ]; then mkdir -p "$gitdir/lfs" && cp -R "$root/lfs/objects" "$gitdir/lfs/"; fi
  branch=$(sed -n '/^  "source": {$/,/^  }/ s/^    "default_branch": "\([^"\\]*\)",\{0,1\}$/\1/p' "$manifest")
  if [ -n "$branch" ] && git -C "$dest" rev-parse -q --verify "refs/heads/$branch" >/dev/null; then
    git -C "$dest" symbolic-ref HEAD "refs/heads/$branch"
  fi
  if [ "$bare" = false ] && git -C "$dest" rev-parse -q --verify HEAD >/dev/null; then
    if git lfs version >/dev/null 2>&1; then
      GIT_LFS_SKIP_SMUDGE=1 git -C "$dest" reset -q --hard && git -C "$dest" lfs checkout
    else
      GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$dest" reset -q --hard
    fi
  fi
  say "Applied the incremental archive to $dest ($(refs_of "$dest" | grep -c '' || true) branches and tags)"
  exit 0
fi

# 2. Where to restore.
name=$(sed -n '/^  "repository": {$/,/^  }/ s/^    "name": "\([A-Za-z0-9._][A-Za-z0-9._-]*\)"$/\1/p' "$manifest")
[ -n "$name" ] || die "cannot restore: no valid repository name in manifest.json"
branch=$(sed -n '/^  "source": {$/,/^  }/ s/^    "default_branch": "\([^"\\]*\)",\{0,1\}$/\1/p' "$manifest")
dest=@{1:-./$name}
if [ -e "$dest" ]; then
  [ -d "$dest" ] || die "cannot restore into \"$dest\": it exists and is not a directory"
  [ -z "$(ls -A "$dest")" ] || die "cannot restore into \"$dest\": it is not empty; choose another directory"
fi
parent=$(dirname "$dest")
mkdir -p "$parent"
partial=$(mktemp -d "$parent/.$name.restore-partial.XXXXXX")

# 3. Clone every branch and tag from the bundle (a shallow archive names its boundary commits first).
git init -q "$partial"
sed -n '/^  "shallow": {$/,/^  }/ s/^      "\([0-9a-f]\{40,64\}\)",\{0,1\}$/\1/p' "$manifest" >"$partial/.git/shallow"
[ -s "$partial/.git/shallow" ] || rm -f "$partial/.git/shallow"
if [ -s "$root/repo.bundle" ]; then
  say "Cloning from repo.bundle"
  git -C "$partial" fetch -q --update-head-ok "$root/repo.bundle" \
    '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*' || die "cannot clone from repo.bundle"
fi
have=$(git -C "$partial" for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags | LC_ALL=C sort)
[ "$want" = "$have" ] || die "cannot restore: the refs cloned from repo.bundle differ from manifest.json"
git -C "$partial" fsck --no-dangling --no-progress >/dev/null 2>&1 || die "cannot restore: git fsck found errors"
if [ -n "$branch" ] && git -C "$partial" rev-parse -q --verify "refs/heads/$branch" >/dev/null; then
  git -C "$partial" symbolic-ref HEAD "refs/heads/$branch"
fi

# 4. LFS objects, then the working tree.
lfs_count=0
if [ -d "$root/lfs/objects" ]; then
  mkdir -p "$partial/.git/lfs"
  cp -R "$root/lfs/objects" "$partial/.git/lfs/"
  lfs_count=$(find "$root/lfs/objects" -type f | grep -c '' || true)
fi
if git -C "$partial" rev-parse -q --verify HEAD >/dev/null; then
  if git lfs version >/dev/null 2>&1; then
    git -C "$partial" lfs install --local --skip-repo >/dev/null
    GIT_LFS_SKIP_SMUDGE=1 git -C "$partial" reset -q --hard
    [ "$lfs_count" -eq 0 ] || git -C "$partial" lfs checkout
  else
    GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$partial" reset -q --hard
    if [ "$lfs_count" -gt 0 ]; then
      say "Note: git-lfs is not installed; LFS files are pointers. The objects are in .git/lfs/objects:"
      say "      install git-lfs, then run \"git lfs install --local && git lfs checkout\" in the repository."
    fi
  fi
fi
if [ -d "$dest" ]; then rmdir "$dest"; fi
mv "$partial" "$dest"
partial=""
dest_abs=$(cd "$dest" && pwd)

# 5. Dependencies carried in the archive (installed offline by their own scripts).
if [ "@{INSTALL_DEPENDENCIES:-true}" != "false" ]; then
  for setup in "$root"/restore-scripts/setup-*.sh; do
    [ -f "$setup" ] || continue
    say "Running $(basename "$setup")"
    sh "$setup" "$dest_abs" || say "Warning: $(basename "$setup") failed; the repository itself is restored"
  done
fi

branches=$(git -C "$dest" for-each-ref refs/heads | grep -c '' || true)
tags=$(git -C "$dest" for-each-ref refs/tags | grep -c '' || true)
say "Restored $name into $dest ($branches branches, $tags tags, $lfs_count LFS objects)"
`;
