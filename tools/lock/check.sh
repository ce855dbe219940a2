#!/usr/bin/env bash
# `make lock-check`: does `npm ci` accept the committed lock on every platform?
#
# `npm ci` refuses a lock that lacks a package the tree needs on *some* platform, such as another
# OS's optional binary of Biome, SWC or unrs-resolver ("Missing: @biomejs/cli-android-arm64@2.6.8
# from lock file"), even on a machine that would never install it. npm's own check is the one that
# counts, so this runs it: `npm ci --dry-run` in a scratch copy holding only package.json, the lock
# and .npmrc, with a scratch cache, so neither this checkout's node_modules nor a warm cache can
# hide a gap. About 1 s on a complete lock, no network; a lock with gaps also fetches manifests.
#
#   tools/lock/check.sh [LOCK]    LOCK defaults to package-lock.json (tests pass an old one)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
lock=$(realpath "${1:-$root/package-lock.json}")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cp "$root/package.json" "$root/.npmrc" "$scratch/"
cp "$lock" "$scratch/package-lock.json"
if (cd "$scratch" && npm ci --dry-run --ignore-scripts --no-audit --no-fund --cache "$scratch/.npm-cache" >"$scratch/ci.log" 2>&1); then
  echo "lock-check: npm ci accepts $(basename "$lock"), every platform's packages included"
else
  echo "lock-check: npm ci rejects $lock; regenerate it with 'npm install' from an empty cache (npm_config_cache=\$(mktemp -d) npm install) and commit it:" >&2
  grep -E '^npm error (Missing|Invalid):' "$scratch/ci.log" >&2 || cat "$scratch/ci.log" >&2
  exit 1
fi
