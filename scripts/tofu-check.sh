#!/usr/bin/env bash
# Check terraform/ with a real Terraform engine, OpenTofu, against the AWS
# provider's schema, without AWS and without any network but the Go module
# proxy and the npm registry:
#
#   1. build OpenTofu's ./cmd/tofu from its Go module, once, into the cache
#      (TOFU_CACHE, default ~/.cache/headroom/tofu; a stamp names the
#      version and the Go that built it);
#   2. install the npm package @cdktf/provider-aws as
#      scripts/tofu-provider/cdktf/package-lock.json pins it, once per
#      lock, into the cache; derive from its generated bindings the schema
#      of the provider block and of the resource and data source types
#      terraform/**/*.tf declare (scripts/tofu-provider/cdkschema);
#   3. test and build scripts/tofu-provider, a provider that serves that
#      schema and plans without calling anything, into a filesystem mirror
#      as hashicorp/aws of the version the package was generated from;
#   4. for the module, its example and modules/target-role: tofu init
#      -backend=false, tofu validate (a warning fails too) and tofu plan
#      with the variables in scripts/tofu-check/; then plans that must
#      fail, each with the error it must give.
#
# Any step that cannot run fails the check; nothing is skipped. Nothing is
# written under terraform/: the checks run on a copy.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

# OpenTofu's go.mod has replace directives, so `go install module@version`
# refuses it; the downloaded module is built as the main module instead.
TOFU_VERSION=v1.10.10
cache="${TOFU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/headroom/tofu}"
export GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

# The provider's and the deriver's own tests: their module is not part of
# the root's ./...
(cd scripts/tofu-provider && go vet ./... && go test -count=1 ./...)

# 1. OpenTofu.
tofu="$cache/$TOFU_VERSION/tofu"
stamp="$TOFU_VERSION $(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"
if [ ! -x "$tofu" ] || [ "$(cat "$cache/$TOFU_VERSION/stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "tofu-check: building OpenTofu $TOFU_VERSION into $cache (a few minutes, once)"
  start=$SECONDS
  dir="$(go mod download -json "github.com/opentofu/opentofu@$TOFU_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dir" ] || { echo "tofu-check: go mod download gave no directory" >&2; exit 1; }
  mkdir -p "$cache/$TOFU_VERSION"
  src="$cache/$TOFU_VERSION/src"
  rm -rf "$src"
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
  # version.dev=no drops the -dev suffix the source build would report.
  (cd "$src" && go build -trimpath -ldflags '-s -w -X github.com/opentofu/opentofu/version.dev=no' -o "$tofu.new" ./cmd/tofu)
  mv "$tofu.new" "$tofu"
  rm -rf "$src"
  echo "$stamp" >"$cache/$TOFU_VERSION/stamp"
  echo "tofu-check: built $(TF_CLI_CONFIG_FILE=/dev/null "$tofu" version | head -1) in $((SECONDS - start)) s, $(du -h "$tofu" | cut -f1)"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 2. The schema. The package is installed by the lock alone (npm ci) into
# a directory named by the lock's hash, so a changed lock installs afresh
# and an unchanged one is not downloaded again; the .npmrc beside the lock
# installs no peers and runs no scripts.
lock_dir="$root/scripts/tofu-provider/cdktf"
lock_sum="$(cat "$lock_dir/package.json" "$lock_dir/package-lock.json" "$lock_dir/.npmrc" | sha256sum | cut -c1-16)"
npm_dir="$cache/cdktf/$lock_sum"
pkg="$npm_dir/node_modules/@cdktf/provider-aws"
if [ ! -f "$npm_dir/installed" ]; then
  command -v npm >/dev/null || { echo "tofu-check: npm is needed to install @cdktf/provider-aws" >&2; exit 1; }
  echo "tofu-check: installing @cdktf/provider-aws into $npm_dir (once per lock)"
  start=$SECONDS
  rm -rf "$cache/cdktf"
  mkdir -p "$npm_dir"
  cp "$lock_dir/package.json" "$lock_dir/package-lock.json" "$lock_dir/.npmrc" "$npm_dir/"
  (cd "$npm_dir" && npm ci --loglevel=error)
  touch "$npm_dir/installed"
  echo "tofu-check: installed $(du -sh "$npm_dir" | cut -f1) in $((SECONDS - start)) s"
fi
schema="$work/aws-schema.json"
(cd scripts/tofu-provider && go build -o "$work/cdkschema" ./cdkschema)
"$work/cdkschema" -pkg "$pkg" -tf "$root/terraform" -o "$schema"
# The version the stand-in reports: the one the package was generated from.
AWS_PROVIDER_VERSION="$("$work/cdkschema" -pkg "$pkg" -version)"

# 3. The provider, in a filesystem mirror: the only installation method
# the CLI config allows, so init can reach no registry.
platform="$(go env GOOS)_$(go env GOARCH)"
pdir="$work/mirror/registry.opentofu.org/hashicorp/aws/$AWS_PROVIDER_VERSION/$platform"
mkdir -p "$pdir"
(cd scripts/tofu-provider && go build -o "$pdir/terraform-provider-aws_v$AWS_PROVIDER_VERSION" .)
cp "$schema" "$pdir/schema.json"
cat >"$work/cli.tfrc" <<EOT
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.opentofu.org/hashicorp/aws"]
  }
}
EOT

# No credential, endpoint or proxy of the caller's reaches the run; the
# dummy ones point at loopback. The provider never connects anyway.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE TF_PLUGIN_CACHE_DIR TF_DATA_DIR
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1 \
  AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY \
  AWS_REGION=us-east-1 AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_EC2_METADATA_DISABLED=true \
  HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=

echo "== tofu fmt -check"
"$tofu" fmt -check -diff -recursive terraform scripts/tofu-check

cp -r terraform "$work/terraform"
vars="$root/scripts/tofu-check"

# 4. Each configuration: init, validate, plan.
check() {
  local name="$1" dir="$work/terraform/$2" varfile="$vars/$1.tfvars"
  echo "== $name ($2)"
  (cd "$dir" && "$tofu" init -backend=false -no-color >"$work/$name.init" 2>&1) || { cat "$work/$name.init"; return 1; }
  if ! (cd "$dir" && "$tofu" validate -no-color >"$work/$name.validate" 2>&1) ||
    grep -qE '^(Warning|Error):' "$work/$name.validate"; then
    cat "$work/$name.validate"
    echo "  validate: failed (a warning fails too)" >&2
    return 1
  fi
  echo "  validate: $(grep -E '^Success' "$work/$name.validate")"
  (cd "$dir" && "$tofu" plan -lock=false -no-color -var-file="$varfile" -out="$work/$name.plan" >"$work/$name.plan.txt" 2>&1) || {
    cat "$work/$name.plan.txt"
    return 1
  }
  if grep -q '^Warning' "$work/$name.plan.txt"; then
    cat "$work/$name.plan.txt"
    echo "  plan: warnings" >&2
    return 1
  fi
  echo "  plan: $(grep -E '^(Plan:|No changes)' "$work/$name.plan.txt")"
}

# must_fail runs a plan that must stop with message.
must_fail() {
  local name="$1" dir="$work/terraform/$2" message="$3"
  shift 3
  if (cd "$dir" && "$tofu" plan -lock=false -no-color "$@" >"$work/fail.txt" 2>&1); then
    echo "  $name: the plan succeeded, want the error \"$message\"" >&2
    return 1
  fi
  if ! tr -s ' \n' ' ' <"$work/fail.txt" | grep -qF "$message"; then
    cat "$work/fail.txt"
    echo "  $name: the plan failed without \"$message\"" >&2
    return 1
  fi
  echo "  refused as it should: $name"
}

# must_not_validate edits a copy of the module with a sed expression and
# requires validate to fail with message: proof that the schema served is
# the provider's and not one that takes anything.
must_not_validate() {
  local name="$1" file="$2" edit="$3" message="$4"
  rm -rf "$work/edited"
  cp -r "$work/terraform" "$work/edited"
  sed -i -E "$edit" "$work/edited/$file"
  if cmp -s "$work/terraform/$file" "$work/edited/$file"; then
    echo "  $name: the edit $edit changes nothing in $file" >&2
    return 1
  fi
  if (cd "$work/edited" && "$tofu" validate -no-color >"$work/fail.txt" 2>&1); then
    echo "  $name: validate passed, want the error \"$message\"" >&2
    return 1
  fi
  if ! tr -s ' \n' ' ' <"$work/fail.txt" | grep -qF "$message"; then
    cat "$work/fail.txt"
    echo "  $name: validate failed without \"$message\"" >&2
    return 1
  fi
  echo "  refused as it should: $name"
}

check module .
check example examples/basic
check target-role modules/target-role

echo "== edits validate must refuse"
must_not_validate "an argument the resource does not have" ecs.tf \
  's/^  launch_type( +)=/  launch_typo\1=/' 'An argument named "launch_typo" is not expected here.'
must_not_validate "a list where the schema says string" ecs.tf \
  's/^(  launch_type +)= "FARGATE"/\1= ["FARGATE"]/' 'Incorrect attribute value type'
must_not_validate "a string where the schema says bool" dynamodb.tf \
  '/^  point_in_time_recovery \{/,/^  \}/s/enabled = true/enabled = "maybe"/' 'a bool is required'
must_not_validate "a block the resource does not have" dynamodb.tf \
  's/^  point_in_time_recovery \{/  point_in_time_recover {/' 'Blocks of type "point_in_time_recover" are not expected here.'
must_not_validate "a required argument left out" ecs.tf \
  '/^  family +=/d' 'The argument "family" is required'
must_not_validate "an attribute a data source does not export" main.tf \
  's/data\.aws_region\.current\.region/data.aws_region.current.regio/' 'This object has no argument, nested block, or exported attribute named "regio".'

echo "== plans that must fail"
must_fail "Fargate cpu 256 with memory 768" . "memory must be one Fargate allows with cpu" \
  -var-file="$vars/module.tfvars" -var cpu=256 -var memory=768
must_fail "Fargate cpu 1024 with memory 512" . "memory must be one Fargate allows with cpu" \
  -var-file="$vars/module.tfvars" -var cpu=1024 -var memory=512
must_fail "target role with no target kind" modules/target-role "enable at least one target kind" \
  -var-file="$vars/target-role.tfvars" -var enable_auto_scaling=false -var enable_ecs=false \
  -var enable_application_auto_scaling=false -var enable_cloudwatch=false -var enable_sqs=false
must_fail "target role with a space in the external id" modules/target-role "external_id must be" \
  -var-file="$vars/target-role.tfvars" -var "external_id=has space"
echo "tofu-check: passed"
