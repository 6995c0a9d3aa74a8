#!/usr/bin/env bash
# Measures `headroom serve` managing a fleet of identical groups (two
# CloudWatch queries and one queue each) against the emulator in a separate
# process: peak resident memory of the serve process, its cycle duration,
# and the CPU time it used (user + system), which other load on the
# machine disturbs less than the cycle's wall time.
#
#   scripts/footprint.sh [GROUPS] [SECONDS]     (defaults: 2000 groups, 60 s)
set -euo pipefail
cd "$(dirname "$0")/.."
groups=${1:-2000}
seconds=${2:-60}
work=$(mktemp -d)
trap 'kill "$emu" 2>/dev/null || true; rm -rf "$work"' EXIT

make -s build
emport=$((20000 + RANDOM % 20000))
metrics=127.0.0.1:$((emport + 1))
bin/headroom emulator --listen "127.0.0.1:$emport" --fleet "$groups" \
  --fleet-config "$work/fleet.yaml" --fleet-listen "$metrics" >"$work/emulator.log" 2>&1 &
emu=$!
for _ in $(seq 1 600); do
  [ -s "$work/fleet.yaml" ] && grep -q "fleet of" "$work/emulator.log" && break
  sleep 0.1
done

# The state file goes with the rest of the run's files.
printf 'store: {path: "%s/headroom.db"}\n' "$work" >>"$work/fleet.yaml"

export AWS_ENDPOINT_URL="http://127.0.0.1:$emport" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_EC2_METADATA_DISABLED=true
timeout -s INT "$seconds" /usr/bin/time -v bin/headroom serve --config "$work/fleet.yaml" \
  >"$work/serve.log" 2>"$work/serve.err" &
serve=$!
sleep $((seconds - 3))
curl -s "http://$metrics/metrics" >"$work/metrics.txt" || true
wait "$serve" || true

rss=$(grep "Maximum resident set size" "$work/serve.err" | awk '{print $NF}')
cpu=$(awk -F': ' '/User time \(seconds\)|System time \(seconds\)/ {s += $2} END {printf "%.2f", s}' "$work/serve.err")
sum=$(awk '/^headroom_cycle_duration_seconds_sum/ {print $2}' "$work/metrics.txt")
count=$(awk '/^headroom_cycle_duration_seconds_count/ {print $2}' "$work/metrics.txt")
errors=$(grep -c '"level":"WARN"' "$work/serve.err" || true)
echo "groups=$groups seconds=$seconds cycles=$count"
echo "peak_rss_mib=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k/1024}')"
echo "mean_cycle_seconds=$(awk -v s="$sum" -v c="$count" 'BEGIN {if (c > 0) printf "%.3f", s/c; else print "n/a"}')"
echo "cpu_seconds=$cpu"
echo "warnings=$errors"
