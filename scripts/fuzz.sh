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

# Go 1.26's fuzz coordinator can end a duration-bounded run with a bare
# "context deadline exceeded" and no failing input (golang/go#75804, fixed
# in Go 1.27). Such a run found nothing: it is reported, not failed. A run
# that writes a failing input, or fails any other way, fails.
targets=0
failed=()
races=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
while read -r pkg; do
  for fn in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    targets=$((targets + 1))
    echo "== $pkg $fn ($FUZZTIME)"
    if $GO test -run '^$' -fuzz "^${fn}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1 | tee "$log"; then
      continue
    fi
    if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
      echo "   (the toolchain's fuzztime deadline race, golang/go#75804: no failing input was found)"
      races=$((races + 1))
      continue
    fi
    failed+=("$pkg $fn")
  done
done < <($GO list ./...)

echo "fuzz targets run: $targets, failed: ${#failed[@]}, ended by the toolchain's deadline race: $races"
if ((${#failed[@]} > 0)); then
  printf '  %s\n' "${failed[@]}"
  exit 1
fi
