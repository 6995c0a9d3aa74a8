#!/usr/bin/env bash
# Load on the admin API: `headroom serve` with a bolt store manages a fleet
# of identical groups on the emulator (each in its own process), and
# scripts/loadtest, a third process, sends GET /v1/groups and POST
# /v1/boosts at fixed rates over loopback and prints p50, p99 and errors.
#
#   scripts/loadtest.sh [GROUPS] [READS/S] [WRITES/S] [SECONDS]   (defaults: 2000 10 100 60)
#
# HEADROOM_BIN runs another build of serve (an earlier commit's, to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
groups=${1:-2000}
reads=${2:-10}
writes=${3:-100}
seconds=${4:-60}
work=$(mktemp -d)
trap 'kill "$serve" "$emu" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
serve=""

make -s build
go build -o bin/loadtest ./scripts/loadtest
serve_bin=${HEADROOM_BIN:-bin/headroom}
emport=$((20000 + RANDOM % 20000))
listen=127.0.0.1:$((emport + 1))
bin/headroom emulator --listen "127.0.0.1:$emport" --fleet "$groups" \
  --fleet-config "$work/fleet.yaml" --fleet-listen "$listen" >"$work/emulator.log" 2>&1 &
emu=$!
for _ in $(seq 1 600); do
  [ -s "$work/fleet.yaml" ] && grep -q "fleet of" "$work/emulator.log" && break
  sleep 0.1
done

bin/headroom token new >"$work/token"
token=$(awk '/^token:/ {print $2}' "$work/token")
hash=$(awk '/^sha256:/ {print $2}' "$work/token")
cat >>"$work/fleet.yaml" <<YAML
store: {path: "$work/headroom.db"}
api:
  tokens:
    - {name: load, role: operator, sha256: $hash}
  write_rate: 1000000/s
  write_burst: 10000
YAML

export AWS_ENDPOINT_URL="http://127.0.0.1:$emport" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_EC2_METADATA_DISABLED=true
"$serve_bin" serve --config "$work/fleet.yaml" >"$work/serve.log" 2>&1 &
serve=$!
for _ in $(seq 1 1200); do
  ready=$(curl -fs "http://$listen/readyz" || true)
  case $ready in "ready: leader"*) break ;; esac
  sleep 0.1
done
echo "$ready"

echo "before: $(uptime)"
bin/loadtest --url "http://$listen" --token "$token" --groups "$groups" \
  --read-rate "$reads" --write-rate "$writes" --duration "${seconds}s"
echo "after:  $(uptime)"
[ -z "${LOADTEST_KEEP:-}" ] || cp "$work/serve.log" "$LOADTEST_KEEP"
echo "cycles: $(curl -fs "http://$listen/metrics" | awk '/^headroom_cycle_duration_seconds_(sum|count)/ {printf "%s=%s ", $1, $2}')"
