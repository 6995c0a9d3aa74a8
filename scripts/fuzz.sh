#!/usr/bin/env bash
# Runs every Go fuzz target in the module for FUZZTIME each (default 30s),
# one after the other, starting from its committed seed corpus under
# testdata/fuzz/. New failing inputs are written there by `go test`; commit
# them with the fix.
#
#   scripts/fuzz.sh            # every target, 30 s each   (make fuzz)
#   FUZZTIME=10s scripts/fuzz.sh  # a short pass (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}

targets=0
failed=()
while read -r pkg; do
  for fn in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    targets=$((targets + 1))
    echo "== $pkg $fn ($FUZZTIME)"
    if ! $GO test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "$pkg"; then
      failed+=("$pkg $fn")
    fi
  done
done < <($GO list ./...)

echo "fuzz targets run: $targets, failed: ${#failed[@]}"
if ((${#failed[@]} > 0)); then
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
