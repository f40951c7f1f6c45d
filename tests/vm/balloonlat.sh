#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of make balloon-table (and of its check in make check):
# ROUNDS times an inflate by BALLOON_TO bytes and the deflate back, each
# with balloonlat attached in the guest.  The host
# (tests/bench/balloon-table-host.sh) drives the balloon on the cue
# "pagemove: balloonlat go ROUND DIR" and times it with balloonctl.
# Round 0 first, without BALLOONLAT_CHECK: the same with no tracer anywhere.
# BALLOONLAT_CHECK=1: in round 1 also count tell_host() returns with
# bpftrace (an independent fexit count) while balloonlat runs.
# BALLOONLAT_LOG=1: event logs too (OUT/bl-guest-K-R-D.log).
# Per direction one line for the host:
#   bt-guest kernel=K round=R dir=D vmstat=N bpftrace=N|- json=<balloonlat -j>
#
# usage: balloonlat.sh ROUNDS
set -u
rounds=${1:-1}
here=$(cd "$(dirname "$0")" && pwd)
top=${PAGEMOVE_TOP:-$here/../..}
out=${PAGEMOVE_OUT:?}
# BALLOONLAT_CONFIG: the column (ci/balloon-table.sh: patched_qemu).
kernel=${BALLOONLAT_CONFIG:-${PAGEMOVE_KERNEL:-?}}
to=${BALLOON_TO:?}
check=${BALLOONLAT_CHECK:-0}
. "$here/lib.sh"
BL=$top/build/bin/balloonlat
pages=$((to / 4096))

# wait_ready LOG PID PATTERN: until LOG has PATTERN (10 min), 1 if PID died.
wait_ready() {
	for _ in $(seq 1200); do
		grep -q "$3" "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.5
	done
	grep -q "$3" "$1" 2>/dev/null
}

# Round 0 (not with BALLOONLAT_CHECK=1): no tracer on either side, the
# wall time the tracers' cost is judged against.
if [ "$check" != 1 ]; then
	for dir in inflate deflate; do
		v0=$(vmstat balloon_$dir)
		echo "pagemove: balloonlat go 0 $dir"
		wait_vmstat balloon_$dir "$v0" $pages ||
			echo "bt-guest: balloon_$dir grew by $(( $(vmstat balloon_$dir) - v0 )), not $pages"
		sleep 2
		echo "bt-bare kernel=$kernel round=0 dir=$dir vmstat=$(( $(vmstat balloon_$dir) - v0 ))"
	done
fi
for r in $(seq "$rounds"); do
	for dir in inflate deflate; do
		j=$out/bl-guest-$kernel-$r-$dir.json e=$out/bl-guest-$kernel-$r-$dir.err
		w=()
		[ "${BALLOONLAT_LOG:-0}" = 1 ] && w=(-w "$out/bl-guest-$kernel-$r-$dir.log")
		"$BL" -j "${w[@]}" >"$j" 2>"$e" &
		bl=$!
		wait_ready "$e" $bl '^balloonlat: ready' ||
			{ echo "bt-guest: balloonlat did not start: $(tail -n 3 "$e")"; exit 1; }
		bt=
		if [ "$check" = 1 ] && [ "$r" = 1 ]; then
			bf=$out/bt-bpftrace-$kernel-$dir.txt
			bpftrace -e 'kretfunc:tell_host { @n++; }
				END { printf("tell_host_returns %d\n", @n); clear(@n); }' >"$bf" 2>&1 &
			bt=$!
			wait_ready "$bf" $bt '^Attaching' ||
				{ echo "bt-guest: bpftrace did not start: $(tail -n 3 "$bf")"; exit 1; }
			sleep 2
		fi
		v0=$(vmstat balloon_$dir)
		echo "pagemove: balloonlat go $r $dir"
		wait_vmstat balloon_$dir "$v0" $pages ||
			echo "bt-guest: balloon_$dir grew by $(( $(vmstat balloon_$dir) - v0 )), not $pages"
		# The work item's last round writes actual after the last request.
		sleep 2
		kill -INT $bl
		wait $bl || echo "bt-guest: balloonlat exit $?"
		n=-
		if [ -n "$bt" ]; then
			kill -INT $bt
			wait $bt
			n=$(sed -n 's/^tell_host_returns //p' "$bf")
		fi
		echo "bt-guest kernel=$kernel round=$r dir=$dir vmstat=$(( $(vmstat balloon_$dir) - v0 ))" \
			"bpftrace=${n:-?} json=$(tr -d '\n' <"$j")"
	done
done
echo "pagemove: balloonlat done"
