#!/usr/bin/env bash
# Measures `headroom serve` managing a fleet of identical groups (two
# CloudWatch queries and one queue each) against the emulator in a separate
# process. After the first two cycles (start-up: config, store, first
# describes) it reads, from /proc and serve's log, over the whole cycles
# of the rest of the run (which ends at the first cycle to finish after
# SECONDS):
#   cpu_seconds_per_cycle  CPU time (user + system) serve spent per cycle,
#                          which other load on the machine disturbs less
#                          than the wall time
#   mean_cycle_seconds     the cycle's wall time (from the log's cycle lines)
#   peak_rss_mib           serve's peak resident memory (VmHWM)
#
#   scripts/footprint.sh [GROUPS] [SECONDS]     (defaults: 2000 groups, 60 s)
#
# FOOTPRINT_INTERVAL sets the cycle interval (default 10s, the daemon's
# default); a longer one lets a large fleet's cycle finish before the next
# starts. FOOTPRINT_KEEP=1 keeps the run's files (config, logs, metrics)
# and prints where they are. FOOTPRINT_PPROF=1 also records, from serve's
# --pprof listener, a CPU profile of the measured window (cpu.pprof, and
# the emulator's emulator-cpu.pprof) and the heap at its end (heap.pprof)
# among those files, for
# `go tool pprof bin/headroom FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
groups=${1:-2000}
seconds=${2:-60}
interval=${FOOTPRINT_INTERVAL:-10s}
work=$(mktemp -d)
cleanup() {
  kill "${serve:-}" "${emu:-}" 2>/dev/null || true
  if [ "${FOOTPRINT_KEEP:-0}" = 1 ]; then echo "files kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

make -s build
emport=$((20000 + RANDOM % 20000))
metrics=127.0.0.1:$((emport + 1))
emupprof=()
if [ "${FOOTPRINT_PPROF:-0}" = 1 ]; then emupprof=(--pprof "127.0.0.1:$((emport + 3))"); fi
bin/headroom emulator --listen "127.0.0.1:$emport" --fleet "$groups" "${emupprof[@]}" \
  --fleet-config "$work/fleet.yaml" --fleet-listen "$metrics" >"$work/emulator.log" 2>&1 &
emu=$!
# Seeding takes about a minute per 20,000 groups on 2 cores.
for _ in $(seq 1 6000); do
  [ -s "$work/fleet.yaml" ] && grep -q "fleet of" "$work/emulator.log" && break
  kill -0 "$emu" 2>/dev/null || { echo "the emulator exited:" >&2; cat "$work/emulator.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/fleet.yaml" ] || { echo "the emulator did not create the fleet within 10 minutes" >&2; exit 1; }

sed -i "s/^interval: .*/interval: $interval/" "$work/fleet.yaml"
# The state file goes with the rest of the run's files.
printf 'store: {path: "%s/headroom.db"}\n' "$work" >>"$work/fleet.yaml"

export AWS_ENDPOINT_URL="http://127.0.0.1:$emport" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_EC2_METADATA_DISABLED=true
pprof=()
if [ "${FOOTPRINT_PPROF:-0}" = 1 ]; then
  FOOTPRINT_KEEP=1
  pprofaddr=127.0.0.1:$((emport + 2))
  pprof=(--pprof "$pprofaddr")
fi
bin/headroom serve --config "$work/fleet.yaml" "${pprof[@]}" >"$work/serve.log" 2>"$work/serve.err" &
serve=$!
echo "serve pid $serve" >&2
start=$SECONDS

# cycles prints serve's completed cycles and their summed duration, from
# its log: a scrape of /metrics (21 MB of series at 20,000 groups) would
# add its own CPU to the cycles' inside the window.
cycles() {
  awk '/"msg":"cycle"/ {c++; if (match($0, /"duration_seconds":[0-9.e+-]+/)) s += substr($0, RSTART + 19, RLENGTH - 19)}
       END {printf "%d %.6f\n", c + 0, s + 0}' "$work/serve.err"
}
# cpu prints serve's CPU time so far, in clock ticks.
cpu() { awk '{print $14 + $15}' "/proc/$serve/stat"; }

read -r c0 s0 < <(cycles)
while [ "$c0" -lt 2 ] && [ $((SECONDS - start)) -lt "$seconds" ] && kill -0 "$serve" 2>/dev/null; do
  sleep 0.5
  read -r c0 s0 < <(cycles)
done
t0=$(cpu)
left=$((seconds - (SECONDS - start) > 1 ? seconds - (SECONDS - start) : 1))
if [ "${#pprof[@]}" -gt 0 ] && [ "$left" -gt 2 ]; then
  curl -s -o "$work/cpu.pprof" "http://$pprofaddr/debug/pprof/profile?seconds=$((left - 1))" &
  profiler=$!
  curl -s -o "$work/emulator-cpu.pprof" "http://127.0.0.1:$((emport + 3))/debug/pprof/profile?seconds=$((left - 1))" &
  emuprofiler=$!
fi
sleep "$left"
# End the window, like its start, just after a cycle ends: CPU time is
# then that of whole cycles (serve idles between them).
read -r c1 s1 < <(cycles)
want=$((c1 + 1))
for _ in $(seq 1 600); do
  read -r c1 s1 < <(cycles)
  [ "$c1" -ge "$want" ] && break
  sleep 0.5
done
t1=$(cpu)
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$serve/status")
if [ "${#pprof[@]}" -gt 0 ]; then
  wait "${profiler:-}" "${emuprofiler:-}" 2>/dev/null || true
  curl -s -o "$work/heap.pprof" "http://$pprofaddr/debug/pprof/heap"
fi
kill -INT "$serve"
wait "$serve" || true
serve=

ticks=$(getconf CLK_TCK)
warnings=$(grep -c '"level":"WARN"' "$work/serve.err" || true)
echo "groups=$groups seconds=$seconds interval=$interval cycles_measured=$((c1 - c0))"
echo "peak_rss_mib=$(awk -v k="$hwm" 'BEGIN {printf "%.1f", k/1024}')"
awk -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" -v t0="$t0" -v t1="$t1" -v hz="$ticks" 'BEGIN {
  n = c1 - c0
  if (n > 0) {
    printf "mean_cycle_seconds=%.3f\n", (s1 - s0) / n
    printf "cpu_seconds_per_cycle=%.3f\n", (t1 - t0) / hz / n
  } else {
    print "mean_cycle_seconds=n/a"; print "cpu_seconds_per_cycle=n/a"
  }
}'
echo "warnings=$warnings"
