#!/usr/bin/env bash
# Measures the Auto Scaling write budget under throttling: a fleet of
# groups that all need a scale-out at once, run by the production
# controller with the SDK's standard retryer against the in-process
# emulator on a fake clock, with a share of every Auto Scaling call
# throttled; a campaign boosts the last groups part way through. Prints
# the writes the budget deferred, the longest wait in cycles (overall and
# for the boosted groups), the describe pages lost to throttling and the
# throttled attempts.
#
#   scripts/throttle.sh [GROUPS] [THROTTLE] [RATE] [BURST]   (defaults: 2000 0.1 2/s 20)
set -euo pipefail
cd "$(dirname "$0")/.."
groups=${1:-2000}
throttle=${2:-0.1}
rate=${3:-2/s}
burst=${4:-20}
mkdir -p bin
go build -o bin/throttle ./scripts/throttle
bin/throttle --groups "$groups" --throttle "$throttle" --rate "$rate" --burst "$burst"
