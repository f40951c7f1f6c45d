#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host side of tests/vm/balloonlat.sh: on each "pagemove: balloonlat go R
# DIR" in the VM's output, attach balloonlat to QEMU (-H tracepoint -p its
# pid), set the balloon with balloonctl (inflate: the guest's memory less
# BALLOON_TO; deflate: all of it) and detach; until "pagemove: balloonlat
# done".  BALLOONLAT_CHECK=1: in round 1 also count QEMU's madvise() calls
# with bpftrace on the same syscall tracepoint (an independent count).
# BALLOONLAT_LOG=1: event logs too (OUT/bl-host-K-R-D.log).
# Writes OUT/bl-host-K-R-D.json, OUT/ctl-K-R-D.json, OUT/bpftrace-host-K-D.txt;
# a progress line per step on stdout.
#
# usage: balloon-table-host.sh QMP_SOCK VM_LOG OUT KERNEL
set -u
sock=$1 vmlog=$2 out=$3 kernel=$4
top=$(cd "$(dirname "$0")/../.." && pwd)
to=${BALLOON_TO:?}
check=${BALLOONLAT_CHECK:-0}
timeout=${BALLOON_TIMEOUT:-1800}
B=$top/build/bin
say() { printf 'balloon-table: %s\n' "$*"; }

# The tracepoints of the host kernel need tracefs (not mounted by default).
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing ||
	{ say "cannot mount tracefs"; exit 1; }

wait_ready() {	# LOG PID PATTERN
	for _ in $(seq 600); do
		grep -q "$3" "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	grep -q "$3" "$1" 2>/dev/null
}

seen=0 full= qpid=
deadline=$(( $(date +%s) + timeout ))
while [ "$(date +%s)" -lt $deadline ]; do
	grep -q '^pagemove: balloonlat done' "$vmlog" 2>/dev/null && exit 0
	line=$(grep '^pagemove: balloonlat go ' "$vmlog" 2>/dev/null | sed -n "$((seen + 1))p")
	if [ -z "$line" ]; then
		sleep 0.2
		continue
	fi
	seen=$((seen + 1))
	read -r _ _ _ r dir <<<"$line"
	if [ -z "$qpid" ]; then
		# QEMU is the process listening on our QMP socket (argv[0] is
		# QEMU's: vng's own command line names the socket too).
		qpid=$(pgrep -f -- "^[^ ]*qemu-system[^ ]* .*-qmp unix:$sock," | head -n1)
		[ -n "$qpid" ] || { say "no QEMU process with $sock"; exit 1; }
		full=$("$B/balloonctl" -s "$sock" -j query | sed -n 's/.*"actual": *\([0-9]*\).*/\1/p')
		[ -n "$full" ] || { say "no answer from QMP at $sock"; exit 1; }
	fi
	case $dir in
	inflate) target=$((full - to)) ;;
	*) target=$full ;;
	esac
	# --poll: QEMU sends BALLOON_CHANGE at most once a second and holds
	# the last one back; query-balloon every 50 ms ends the wall time on time.
	ctl=("$B/balloonctl" -s "$sock" -j -t "$timeout" -S 120 --poll 50 set "$target")
	cj=$out/ctl-$kernel-$r-$dir.json
	if [ "$r" = 0 ]; then	# no tracer: the bare wall time
		"${ctl[@]}" >"$cj"
		crc=$?
		wall=$(sed -n 's/.*"wall_ns": *\([0-9]*\).*/\1/p' "$cj")
		say "kernel=$kernel round=0 (no tracer) $dir to $((target >> 20)) MiB:" \
			"balloonctl exit $crc, wall $(( ${wall:-0} / 1000000 )) ms"
		[ $crc = 0 ] || exit 1
		continue
	fi
	hj=$out/bl-host-$kernel-$r-$dir.json he=$out/bl-host-$kernel-$r-$dir.err
	w=()
	[ "${BALLOONLAT_LOG:-0}" = 1 ] && w=(-w "$out/bl-host-$kernel-$r-$dir.log")
	"$B/balloonlat" -H tracepoint -p "$qpid" -j "${w[@]}" >"$hj" 2>"$he" &
	hb=$!
	wait_ready "$he" $hb '^balloonlat: ready' ||
		{ say "host balloonlat did not start: $(tail -n 3 "$he")"; exit 1; }
	if [ "$check" = 1 ] && [ "$r" = 1 ]; then
		# bpftrace runs balloonctl (-c) and prints its count when it ends
		# (a SIGINT from here did not always stop it).
		bf=$out/bpftrace-host-$kernel-$dir.txt
		bpftrace -e "tracepoint:syscalls:sys_enter_madvise /pid == $qpid/ { @n++; }
			END { printf(\"madvise_calls %d\\n\", @n); clear(@n); }" \
			-c "${ctl[*]}" >"$bf" 2>&1
		grep '^{' "$bf" >"$cj"
		grep -q '"result": *"reached"' "$cj"
		crc=$?
	else
		"${ctl[@]}" >"$cj"
		crc=$?
	fi
	kill -INT $hb
	wait $hb || say "host balloonlat exit $?"
	wall=$(sed -n 's/.*"wall_ns": *\([0-9]*\).*/\1/p' "$cj")
	say "kernel=$kernel round=$r $dir to $((target >> 20)) MiB: balloonctl exit $crc," \
		"wall $(( ${wall:-0} / 1000000 )) ms"
	[ $crc = 0 ] || exit 1
done
say "timed out"
exit 1
