#!/usr/bin/env bash
# The Terraform engines and providers of `make validate` and `make e2e`, served from a local
# filesystem mirror so that nothing reaches a Terraform registry. Prints, on stdout, lines to eval:
#   export TF_CLI_CONFIG_FILE=<cli config naming the mirror>
#   export TOFU=<OpenTofu binary>
#   export TERRAFORM=<terraform on PATH, else $TOFU>
# e.g. `eval "$(bash tools/terraform/tools.sh)"`; progress goes to stderr.
#
# Where the binaries come from, first that exists:
# 1. The prebuilt OpenTofu 1.12.6 and AWS 6.47.1 / docker 4.6+ providers beside the clone
#    ($TERRAFORM_PREBUILT, default ../shared/tools/terraform, unpacked by its install.sh in about
#    7 s): CI and these machines.
# 2. A build from the Go module proxy, once per version (cold: about 4,700 CPU-seconds, 45-50 min
#    and a 9.4 GB peak on 2 cores; ~15 GB of Go caches): a machine with only the Go proxy.
# Both are served under the versions the provider bindings were generated from (read from
# node_modules/@cdktf/provider-*/package.json, the one source of them): no registry or proxy here
# serves hashicorp/aws 6.25.0 or kreuzwerker/docker 3.6.2, so the stacks run against a newer schema
# of the same AWS major version (6.47.1) and against docker provider 4.x.
# TERRAFORM_TOOLS_CACHE (default ~/.cache/alerta-utec-terraform) holds the binaries and the mirror.
set -euo pipefail

TOFU_MODULE=(github.com/opentofu/opentofu v1.12.6 ./cmd/tofu)
AWS_MODULE=(github.com/hashicorp/terraform-provider-aws v1.60.1-0.20260602190131-5f2286d6d836 .) # 6.47.1
DOCKER_MODULE=(github.com/kreuzwerker/terraform-provider-docker v0.0.0-20260916201441-96d331c98ff4 .) # 4.6+

root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${TERRAFORM_TOOLS_CACHE:-$HOME/.cache/alerta-utec-terraform}
prebuilt=${TERRAFORM_PREBUILT:-$root/../shared/tools/terraform}
mkdir -p "$cache/bin"

# build NAME MODULE VERSION PACKAGE -> prints the binary's path; builds only when it is missing.
build() {
  local name=$1 module=$2 version=$3 package=$4
  local out="$cache/bin/$name-$version"
  if [ ! -x "$out" ]; then
    echo "building $name from $module@$version (cold: minutes to an hour)" >&2
    local dir
    export GOFLAGS="-modcacherw -buildvcs=false"
    dir=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    # Inside the module, so its go.mod's replace directives apply (`go install m@v` refuses them);
    # `go list -deps` fetches only what the build needs (a bare `go mod download` asks for tools
    # the proxy refuses).
    (cd "$dir" && go list -deps "$package" >/dev/null && go build -trimpath -ldflags "-s -w" -o "$out.partial" "$package")
    mv "$out.partial" "$out"
  fi
  echo "$out"
}

if [ -f "$prebuilt/install.sh" ]; then
  echo "tools: prebuilt binaries from $prebuilt" >&2
  declare -A binary
  while read -r name path; do binary[$name]=$path; done < <(bash "$prebuilt/install.sh" "$cache/prebuilt")
  tofu=${binary[tofu]} aws=${binary[terraform-provider-aws]} docker=${binary[terraform-provider-docker]}
  origin="prebuilt ($prebuilt)"
else
  echo "tools: no $prebuilt/install.sh; building from the Go module proxy" >&2
  tofu=$(build tofu "${TOFU_MODULE[@]}")
  aws=$(build terraform-provider-aws "${AWS_MODULE[@]}")
  docker=$(build terraform-provider-docker "${DOCKER_MODULE[@]}")
  origin="built from ${AWS_MODULE[0]}@${AWS_MODULE[1]}"
fi

# The version a binding was generated from, which the synthesized stacks require.
binding_version() { node -p "require('$root/node_modules/@cdktf/$1/package.json').cdktf.provider.version"; }
aws_version=$(binding_version provider-aws)
docker_version=$(binding_version provider-docker)

mirror="$cache/mirror"
for registry in registry.terraform.io registry.opentofu.org; do
  for entry in "hashicorp/aws $aws_version $aws aws" "kreuzwerker/docker $docker_version $docker docker"; do
    read -r address version path type <<<"$entry"
    target="$mirror/$registry/$address/$version/linux_amd64"
    mkdir -p "$target"
    ln -f "$path" "$target/terraform-provider-${type}_v$version" 2>/dev/null || cp -f "$path" "$target/terraform-provider-${type}_v$version"
  done
done
cat >"$cache/terraformrc" <<RC
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
echo "tools: aws provider $origin served as $aws_version, docker as $docker_version; mirror $mirror" >&2
terraform=$(command -v terraform || echo "$tofu")
printf 'export TF_CLI_CONFIG_FILE=%q\nexport TOFU=%q\nexport TERRAFORM=%q\n' "$cache/terraformrc" "$tofu" "$terraform"
