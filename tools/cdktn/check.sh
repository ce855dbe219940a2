#!/usr/bin/env bash
# `make check-cdktn` (opt-in, not part of `make test`): proves the move to CDK Terrain on scratch
# copies of this repository, leaving the repository itself untouched.
#   1. copy the working tree (tracked and untracked, not ignored) twice: $scratch/cdktf/repo as it
#      is (node_modules: the repository's install, only read) and $scratch/cdktn/repo swapped to
#      cdktn (tools/cdktn/swap.ts) with its own node_modules, installed from a private npm cache
#      ($CDKTN_CACHE, default ~/.cache/alerta-utec-cdktn). Same layout for both, so the paths the
#      stacks hold (the image's build context) are written the same.
#   2. synthesize every environment with each; under cdktn also Biome, tsc and the whole Jest suite
#   3. compare each environment's JSON (tools/cdktn/compare.ts): any difference beyond the
#      version fields (and `aws` written as `hashicorp/aws`) fails
# The scratch folder is removed when the check passes (unless CDKTN_KEEP=1) and kept, its path
# printed, when it fails.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${CDKTN_CACHE:-$HOME/.cache/alerta-utec-cdktn}
environments=${ENVIRONMENTS:-hackathon learner-lab production}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/check-cdktn.XXXXXX")
tsx="$root/node_modules/.bin/tsx"
export CHECKPOINT_DISABLE=1
started=$SECONDS

step() { echo "check-cdktn: $1 ($((SECONDS - started)) s)"; }
fail() {
  echo "check-cdktn: FAILED: $1 (scratch kept: $scratch)" >&2
  exit 1
}

# The working tree's files, NUL-separated; node_modules and the venvs are symlinks to shared
# installs, which git lists as untracked files (the ignore rules name directories).
tree_files() {
  (cd "$root" && git ls-files -z --cached --others --exclude-standard -- "$@") | grep -z -v -E '^(node_modules|\.venv|\.venv-tools)$'
}

for tool in cdktf cdktn; do
  mkdir -p "$scratch/$tool/repo" "$scratch/$tool/synth"
  tree_files | (cd "$root" && tar --null -T - -cf -) | tar -xf - -C "$scratch/$tool/repo"
done
ln -s "$root/node_modules" "$scratch/cdktf/repo/node_modules"
copy="$scratch/cdktn/repo"
step "copied the working tree to $scratch/{cdktf,cdktn}/repo"

mapfile -d '' sources < <(tree_files '*.ts' '*.js')
"$tsx" "$root/tools/cdktn/swap.ts" "$copy" "${sources[@]}"
# A specifier the rewrite missed would still load, through the override's `cdktf` alias; refuse it.
if leftover=$(cd "$copy" && grep -n -E "(from |require\(|import\()[\"'](cdktf|@cdktf/provider-aws)[\"'/]" "${sources[@]}"); then
  fail "cdktf imports left after the swap:"$'\n'"$leftover"
fi

step "npm install under cdktn (its own node_modules, cache $cache/npm)"
(cd "$copy" && npm install --cache "$cache/npm" --prefer-offline --no-audit --no-fund --loglevel=error) || fail "npm install"
# shellcheck disable=SC2016 # a JavaScript template literal, not a shell expansion
(cd "$copy" && node -e 'for (const p of ["cdktn", "@cdktn/provider-aws", "cdktf"]) { const j = require(p + "/package.json"); console.log(`  ${p} resolves to ${j.name}@${j.version}`); }')

# The rename reorders imports (Biome sorts @cdktf/provider-docker before @cdktn/...): re-sort them,
# then lint the whole copy, before synthesis writes .gen/ into it.
step "Biome under cdktn"
(cd "$copy" && node_modules/.bin/biome check --write . >/dev/null 2>&1; node_modules/.bin/biome ci --colors=off .) || fail "biome ci"

for env in $environments; do
  step "synthesizing $env with cdktf and with cdktn"
  for tool in cdktf cdktn; do
    (cd "$scratch/$tool/repo" && DEPLOY_ENV=$env CDKTF_OUTDIR="$scratch/$tool/synth/$env" node bin/app.js) || fail "$tool synth of $env"
  done
done

step "tsc under cdktn"
(cd "$copy" && node_modules/.bin/tsc --noEmit -p .) || fail "tsc"
step "Jest under cdktn"
(cd "$copy" && node_modules/.bin/jest --silent) || fail "Jest"

step "comparing the synthesized JSON"
differ=0
for env in $environments; do
  "$tsx" "$root/tools/cdktn/compare.ts" "$scratch/cdktf/synth/$env" "$scratch/cdktn/synth/$env" "$env" || differ=1
done
[ "$differ" -eq 0 ] || fail "synthesized JSON differs beyond the version fields"

if [ "${CDKTN_KEEP:-0}" = 1 ]; then echo "check-cdktn: scratch kept: $scratch"; else rm -rf "$scratch"; fi
step "passed: under cdktn every environment synthesizes, Biome, tsc and Jest pass, and the JSON differs from cdktf's only in version fields (and aws written as hashicorp/aws)"
