#!/usr/bin/env bash
# `make validate` (opt-in, not part of `make test`): every synthesized stack of every environment
# through `tofu init -backend=false` and `tofu validate`, against the real provider schemas.
#
# OpenTofu and the providers come from tools/terraform/tools.sh (prebuilt beside the clone when
# there, else built from the Go module proxy), served from a local filesystem mirror: nothing
# reaches a Terraform registry. Warm: 2-3 minutes. docs/validation.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
eval "$(bash "$root/tools/terraform/tools.sh")"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
cache=${TERRAFORM_TOOLS_CACHE:-$HOME/.cache/alerta-utec-terraform}

failed=0
checked=0
for stack_json in "$root"/cdktf.out/env/*/stacks/*/cdk.tf.json; do
  relative=${stack_json#"$root"/cdktf.out/env/}     # <environment>/stacks/<stack>/cdk.tf.json
  name=${relative%/cdk.tf.json}
  name=${name/\/stacks\//\/}
  work="$cache/work/$name"
  rm -rf "$work" && mkdir -p "$work" && cp "$stack_json" "$work/"
  if (cd "$work" && "$TOFU" init -backend=false -input=false -no-color >init.log 2>&1 && "$TOFU" validate -no-color >validate.log 2>&1); then
    echo "valid: $name$(grep -q '^Warning' "$work/validate.log" && echo " (warnings: $work/validate.log)")"
  else
    echo "INVALID: $name"
    cat "$work/init.log" "$work/validate.log" 2>/dev/null | grep -v '^$' | sed 's/^/    /' | head -40
    failed=$((failed + 1))
  fi
  checked=$((checked + 1))
done
echo "make validate: $((checked - failed)) of $checked stacks valid ($("$TOFU" version | head -1))"
[ "$failed" -eq 0 ]
