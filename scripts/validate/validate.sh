#!/usr/bin/env bash
# `make validate` (opt-in, not part of `make test`): every synthesized stack of every environment
# through `tofu init -backend=false` and `tofu validate`, against the real provider schemas.
#
# No Terraform, OpenTofu or provider binary comes from the registries this project reaches, so
# OpenTofu and both providers are built from the Go module proxy, once per version, into
# $VALIDATE_CACHE (default ~/.cache/alerta-utec-validate), and served to tofu from a local
# filesystem mirror: nothing reaches a Terraform registry.
#
# The proxy here serves neither hashicorp/aws 6.25.0 nor kreuzwerker/docker 3.6.2 (the versions
# the bindings were generated from); the nearest it serves are below. They are installed under
# the versions the synthesized JSON requires, so the check runs against a newer schema of the
# same AWS major version (6.47.1) and against docker provider 4.x. Cold cost on an idle 2-core
# machine: about 4,700 CPU-seconds (45-50 min), a 9.4 GB peak while linking the AWS provider and
# about 15 GB of Go caches; warm, 2-3 minutes. docs/validation.md.
set -euo pipefail

TOFU=(github.com/opentofu/opentofu v1.12.6 ./cmd/tofu)
AWS=(github.com/hashicorp/terraform-provider-aws v1.60.1-0.20260602190131-5f2286d6d836 .) # 6.47.1
DOCKER=(github.com/kreuzwerker/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4 .) # 4.6+

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${VALIDATE_CACHE:-$HOME/.cache/alerta-utec-validate}
mkdir -p "$cache/bin"
export GOFLAGS="-modcacherw -buildvcs=false"

# build NAME MODULE VERSION PACKAGE -> prints the binary's path; builds only when it is missing.
build() {
  local name=$1 module=$2 version=$3 package=$4
  local out="$cache/bin/$name-$version"
  if [ ! -x "$out" ]; then
    echo "building $name from $module@$version (cold: minutes to an hour)" >&2
    local dir
    dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    # Inside the module, so its go.mod's replace directives apply (`go install m@v` refuses them);
    # `go list -deps` fetches only what the build needs (a bare `go mod download` asks for tools
    # the proxy refuses).
    (cd "$dir" && go list -deps "$package" >/dev/null && go build -trimpath -ldflags "-s -w" -o "$out.partial" "$package")
    mv "$out.partial" "$out"
  fi
  echo "$out"
}

tofu=$(build tofu "${TOFU[@]}")
aws=$(build terraform-provider-aws "${AWS[@]}")
docker=$(build terraform-provider-docker "${DOCKER[@]}")

# The versions the synthesized stacks require, read from them (one source: the bindings).
required() {
  node -e '
    const [source, ...files] = process.argv.slice(1);
    for (const file of files) {
      const providers = JSON.parse(require("fs").readFileSync(file, "utf8")).terraform?.required_providers ?? {};
      const match = Object.values(providers).find((p) => p.source === source);
      if (match) { console.log(match.version); process.exit(0); }
    }
    process.exit(1);' "$1" "$root"/cdktf.out/env/*/stacks/*/cdk.tf.json
}
aws_version=$(required aws)
docker_version=$(required "kreuzwerker/docker")

mirror="$cache/mirror"
for registry in registry.terraform.io registry.opentofu.org; do
  for entry in "hashicorp/aws $aws_version $aws aws" "kreuzwerker/docker $docker_version $docker docker"; do
    read -r address version binary type <<<"$entry"
    target="$mirror/$registry/$address/$version/linux_amd64"
    mkdir -p "$target"
    ln -f "$binary" "$target/terraform-provider-${type}_v$version"
  done
done
cat >"$cache/tofurc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*", "registry.opentofu.org/*/*"]
  }
  direct {
    exclude = ["*/*"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$cache/tofurc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

failed=0
checked=0
for stack_json in "$root"/cdktf.out/env/*/stacks/*/cdk.tf.json; do
  relative=${stack_json#"$root"/cdktf.out/env/}     # <environment>/stacks/<stack>/cdk.tf.json
  name=${relative%/cdk.tf.json}
  name=${name/\/stacks\//\/}
  work="$cache/work/$name"
  rm -rf "$work" && mkdir -p "$work" && cp "$stack_json" "$work/"
  if (cd "$work" && "$tofu" init -backend=false -input=false -no-color >init.log 2>&1 && "$tofu" validate -no-color >validate.log 2>&1); then
    echo "valid: $name$(grep -q '^Warning' "$work/validate.log" && echo " (warnings: $work/validate.log)")"
  else
    echo "INVALID: $name"
    cat "$work/init.log" "$work/validate.log" 2>/dev/null | grep -v '^$' | sed 's/^/    /' | head -40
    failed=$((failed + 1))
  fi
  checked=$((checked + 1))
done
echo "make validate: $((checked - failed)) of $checked stacks valid (OpenTofu ${TOFU[1]}, aws provider built from ${AWS[1]} served as $aws_version, docker from ${DOCKER[1]} as $docker_version)"
[ "$failed" -eq 0 ]
