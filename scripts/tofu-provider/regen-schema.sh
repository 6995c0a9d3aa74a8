#!/usr/bin/env bash
# Regenerate schema/aws.json, the part of the AWS provider's schema that
# terraform/ uses, from one of:
#
#   regen-schema.sh --full SCHEMA.json
#       a full `providers schema -json` document of hashicorp/aws
#   regen-schema.sh --snapshot GIT_DIR [REF]
#       a git directory of a repository that keeps one schema per type as
#       generated/resource/awsTypeName.go and generated/data/awsTypeName.go
#       (a Go string constant holding the type's JSON schema); the
#       provider block then comes from provider-config.json
#
# The types kept are those declared in terraform/**/*.tf, so run it again
# after a module starts using a new type. See schema/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/schema/aws.json"

case "${1:-}" in
--full)
  src="$(realpath "$2")"
  (cd "$here" && go run ./trimschema -full "$src" -tf "$root/terraform" -o "$out")
  ;;
--snapshot)
  git_dir="$2"
  ref="${3:-HEAD}"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/resource" "$tmp/data"
  grep -rhoE '^(resource|data) "aws_[a-z0-9_]+"' --include='*.tf' "$root/terraform" | sort -u |
    while read -r kind quoted; do
      name="${quoted//\"/}"
      camel="$(perl -pe 's/_([a-z0-9])/\u$1/g' <<<"$name")"
      git --git-dir="$git_dir" show "$ref:generated/$kind/$camel.go" |
        perl -0777 -ne 'if (/= `(.*?)`\n\nfunc/s) { my $j = $1; $j =~ s/` \+ "`" \+ `/`/g; print $j } else { exit 1 }' \
          >"$tmp/$kind/$name.json"
    done
  (cd "$here" && go run ./trimschema -types-dir "$tmp" -provider "$here/provider-config.json" -tf "$root/terraform" -o "$out")
  {
    echo "source: $(git --git-dir="$git_dir" config --get remote.origin.url 2>/dev/null || echo "$git_dir")"
    echo "commit: $(git --git-dir="$git_dir" rev-parse "$ref")"
    echo "subject: $(git --git-dir="$git_dir" log -1 --format=%s "$ref")"
  } >"$here/schema/SOURCE"
  ;;
*)
  echo "usage: $0 --full SCHEMA.json | --snapshot GIT_DIR [REF]" >&2
  exit 2
  ;;
esac
echo "wrote $out ($(wc -c <"$out") bytes)"
