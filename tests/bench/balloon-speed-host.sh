#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host side of the balloon speed bench (ci/bench.sh, part "balloon").
#
# Waits for the guest's "pagemove: bench-balloon ready" line in VM_LOG, then
# ROUNDS times asks QEMU for the guest's memory minus MIB MiB (inflate) and
# gives it back (deflate), each with `balloonctl --poll 5 --json set`: the
# wall time from the `balloon` command to the first query-balloon showing
# the target (QEMU rate-limits BALLOON_CHANGE events to one a second, too
# coarse for this).  One line per measurement on stdout:
#     bench-balloon config=C round=N op=inflate|deflate ms=T changes=N
# Then creates DONE_FILE, which the guest waits for before it ends.
# balloonctl is the project's one QMP client: it parses and checks QEMU's
# replies; a result other than "reached" is an error here.
#
# usage: tests/bench/balloon-speed-host.sh QMP_SOCK VM_LOG CONFIG ROUNDS MIB DONE_FILE
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${BALLOONCTL:-$top/build/bin/balloonctl}
timeout=${BALLOON_TIMEOUT:-600}

die() { echo "balloon-speed-host: $*" >&2; exit 1; }
[ $# = 6 ] || { sed -n 's/^# usage: //p' "$0" >&2; exit 2; }
sock=$1 vmlog=$2 config=$3 rounds=$4 mib=$5 done_file=$6
case $rounds$mib in *[!0-9]*|'') echo "balloon-speed-host: ROUNDS and MIB are numbers" >&2; exit 2 ;; esac
trap 'echo done >"$done_file"' EXIT
[ -x "$B" ] || die "no $B (make tools)"

for _ in $(seq $((timeout * 2))); do
	grep -q '^pagemove: bench-balloon ready' "$vmlog" 2>/dev/null && break
	sleep 0.5
done
grep -q '^pagemove: bench-balloon ready' "$vmlog" || die "timed out waiting for the guest in $vmlog"

# field JSON KEY: a number or string of balloonctl's JSON object.
field() {
	python3 -c 'import json, sys
v = json.loads(sys.argv[1])[sys.argv[2]]
print(len(v) if isinstance(v, list) else v)' "$1" "$2" 2>/dev/null
}

q=$("$B" -s "$sock" -r 120 --json query) || die "query-balloon failed"
full=$(field "$q" actual)
case $full in ''|*[!0-9]*) die "query-balloon: no actual in $q" ;; esac
for r in $(seq "$rounds"); do
	for op in inflate deflate; do
		target=$full
		[ $op = inflate ] && target=$(( full - (mib << 20) ))
		j=$("$B" -s "$sock" --poll 5 --json -t "$timeout" -S "$timeout" set "$target") ||
			die "$op round $r: balloonctl exit $?: $j"
		[ "$(field "$j" result)" = reached ] || die "$op round $r: $j"
		ns=$(field "$j" wall_ns)
		printf 'bench-balloon config=%s round=%d op=%s ms=%d.%d changes=%s\n' "$config" "$r" \
			"$op" $((ns / 1000000)) $(( (ns / 100000) % 10 )) "$(field "$j" changes)"
		sleep 1
	done
done
