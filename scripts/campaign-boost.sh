#!/usr/bin/env bash
# campaign-boost.sh: the pre-campaign routine, run days before a known
# traffic peak (an email blast, a sale, a launch).
#
#   1. check the groups Headroom manages and their latest decisions
#   2. preview each named group's decision with the campaign's floor in force
#   3. create the boost, with an Idempotency-Key derived from the campaign
#      name, so that running the script twice creates one boost
#   4. read the boost back
#   5. show each group's decision, boosts and overrides
#
# With --dry-run it stops after step 2 and writes nothing.
# Exit codes are those of `headroom ctl` (docs/ctl.md); 2 is a usage error.
set -euo pipefail

prog=$(basename "$0")

usage() {
	cat <<EOF
usage: $prog --name NAME --start T --end T --zone ZONE --group G [--group G]... --min N
             [--reason TEXT] [--dry-run]

  --name NAME    campaign name (also the boost's name and its idempotency key)
  --start T      window start, local wall-clock time in ZONE: YYYY-MM-DDTHH:MM
  --end T        window end, as --start
  --zone ZONE    IANA time zone of --start and --end, e.g. Europe/Paris
  --group G      a group name or an ASG tag selector key=value (repeatable;
                 comma-separated lists work too)
  --min N        the floor: at least N instances in each group
  --reason TEXT  why, for the audit trail (default: "campaign NAME")
  --dry-run      only check the groups and preview the floor; write nothing

Environment (required): HEADROOM_URL (the admin API), HEADROOM_TOKEN (an
operator token). HEADROOM_BIN overrides the headroom binary (default: headroom
on PATH).

example:
  $prog --name year-end --start 2026-12-15T09:00 --end 2026-12-15T21:00 \\
        --zone Europe/Paris --group web --group workers --min 40
EOF
}

die() {
	echo "$prog: $*" >&2
	echo "run '$prog --help' for usage" >&2
	exit 2
}

name="" start="" end="" zone="" min="" reason="" dry_run=0
groups=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--name | --start | --end | --zone | --group | --min | --reason)
		[[ $# -ge 2 ]] || die "$1 needs a value"
		case "$1" in
		--name) name=$2 ;;
		--start) start=$2 ;;
		--end) end=$2 ;;
		--zone) zone=$2 ;;
		--min) min=$2 ;;
		--reason) reason=$2 ;;
		--group) IFS=, read -r -a more <<<"$2" && groups+=("${more[@]}") ;;
		esac
		shift 2
		;;
	--dry-run) dry_run=1 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) die "unknown argument: $1" ;;
	esac
done

[[ -n $name ]] || die "--name is required"
[[ -n $start ]] || die "--start is required"
[[ -n $end ]] || die "--end is required"
[[ -n $zone ]] || die "--zone is required"
[[ ${#groups[@]} -gt 0 ]] || die "--group is required"
[[ $min =~ ^[1-9][0-9]*$ ]] || die "--min must be a positive whole number, got '$min'"
[[ -n ${HEADROOM_URL:-} ]] || die "HEADROOM_URL is not set (the admin API, e.g. https://headroom.internal:9464)"
[[ -n ${HEADROOM_TOKEN:-} ]] || die "HEADROOM_TOKEN is not set (an operator token)"
reason=${reason:-"campaign $name"}
headroom=${HEADROOM_BIN:-headroom}
command -v "$headroom" >/dev/null || die "$headroom not found on PATH (set HEADROOM_BIN)"

# The key is the campaign's, not this run's: a second run within the
# server's 24 h idempotency window gets the first boost back instead of a
# second boost, and a run with changed values is refused (exit 5) rather
# than doubling the floor.
key="campaign-boost-$name"

ctl() { "$headroom" ctl "$@"; }
step() { printf '\n== %s\n' "$*"; }

step "groups managed by $HEADROOM_URL"
ctl groups

# The preview's boost has no window, so it is in force now: the decision
# shows the floor each group would hold during the campaign, against
# today's load.
for g in "${groups[@]}"; do
	if [[ $g == *=* ]]; then
		step "preview: $g is a tag selector; preview its groups by name"
		continue
	fi
	step "preview of $g with a floor of $min"
	ctl preview "$g" --boost-min "$min"
done

if [[ $dry_run -eq 1 ]]; then
	step "dry run: no boost created"
	exit 0
fi

# A boost of the same name that has not ended means the campaign is already
# booked, perhaps by someone else or more than 24 h ago: show it, do not
# add a second one.
id=$(ctl boost list --output json | awk -v n="$name" '
	/^      "id": / { id = $2; gsub(/[",]/, "", id) }
	/^      "name": / { v = $0; sub(/^      "name": "/, "", v); sub(/",?$/, "", v); if (v == n) { print id; exit } }')

if [[ -n $id ]]; then
	step "boost $id named $name exists already; not creating another (change it with: headroom ctl boost update $id ...)"
else
	step "creating boost $name (idempotency key $key)"
	group_flags=()
	for g in "${groups[@]}"; do group_flags+=(--group "$g"); done
	created=$(ctl boost create --output json --idempotency-key "$key" \
		--name "$name" --reason "$reason" "${group_flags[@]}" \
		--start "$start" --end "$end" --time-zone "$zone" --min-capacity "$min")
	id=$(sed -n 's/^  "id": "\(.*\)",\{0,1\}$/\1/p' <<<"$created" | head -n 1)
	[[ -n $id ]] || { echo "$prog: no id in the server's answer:" >&2; echo "$created" >&2; exit 1; }
fi

step "boost $id as stored"
stored=$(ctl boost get "$id")
echo "$stored"
# A rerun after a cancel replays the first answer under the campaign's key
# and writes nothing: the boost stays cancelled, and saying so is the
# script's job, since the floor the operator asked for is not in force.
if grep -Eq '^state +cancelled$' <<<"$stored"; then
	echo "$prog: boost $id of campaign $name was cancelled; rerunning does not bring it back: book it again with another --name" >&2
	exit 1
fi

for g in "${groups[@]}"; do
	[[ $g == *=* ]] && continue
	step "group $g now"
	ctl group "$g"
done
