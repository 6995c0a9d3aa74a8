#!/usr/bin/env bash
# Runs the chaos soak over SOAK_RUNS seeds from SOAK_FROM, in SOAK_SLICES
# parallel slices of one test binary, and prints each slice's totals and
# their sum. A run spends most of its time waiting on the one-second
# deadlines of hung calls, so slices run well beyond the core count.
#
#   scripts/soak.sh                                  # seeds 1-500, 4 slices (make soak)
#   SOAK_FROM=1 SOAK_RUNS=10000 SOAK_SLICES=10 scripts/soak.sh
#   SOAK_RACE=1 scripts/soak.sh                      # with the race detector
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
FROM=${SOAK_FROM:-1}
RUNS=${SOAK_RUNS:-500}
SLICES=${SOAK_SLICES:-4}
if ! [[ $FROM =~ ^[1-9][0-9]*$ && $RUNS =~ ^[1-9][0-9]*$ && $SLICES =~ ^[1-9][0-9]*$ ]]; then
  echo "soak: SOAK_FROM, SOAK_RUNS and SOAK_SLICES must be positive integers" >&2
  exit 2
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
race=()
if [[ -n ${SOAK_RACE:-} ]]; then race=(-race); fi
$GO test "${race[@]}" -c -o "$dir/chaos.test" ./internal/chaos

per=$(( (RUNS + SLICES - 1) / SLICES ))
pids=()
for ((i = 0; i < SLICES; i++)); do
  from=$((FROM + i * per))
  n=$(( per < FROM + RUNS - from ? per : FROM + RUNS - from ))
  ((n > 0)) || break
  "$dir/chaos.test" -test.run '^TestSoak$' -test.timeout 12h -chaos.from="$from" -chaos.runs="$n" >"$dir/slice$i.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
done
runs=0 cycles=0 faults=0 violations=0 starved=0
for f in "$dir"/slice*.log; do
  grep -E -- '--- FAIL|seed [0-9]+ cycle' "$f" || true
  line=$(grep -E '^seeds [0-9]+-[0-9]+: runs' "$f" || true)
  if [[ -z $line ]]; then
    echo "soak: $(basename "$f") ended without totals:" >&2
    tail -20 "$f" >&2
    status=1
    continue
  fi
  echo "$line"
  read -r r c fa v st < <(sed -E 's/.*runs ([0-9]+), cycles ([0-9]+), faults ([0-9]+), violations ([0-9]+), starved ([0-9]+).*/\1 \2 \3 \4 \5/' <<<"$line")
  runs=$((runs + r)) cycles=$((cycles + c)) faults=$((faults + fa)) violations=$((violations + v)) starved=$((starved + st))
done
echo "total seeds $FROM-$((FROM + RUNS - 1)): runs $runs, cycles $cycles, faults $faults, violations $violations, starved $starved"
exit $status
