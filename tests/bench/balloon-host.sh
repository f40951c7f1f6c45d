#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host side of tests/bench/zs-balloon-cost.sh: on "pagemove: bench inflate
# N" take 256 MiB from the guest over QMP, on "pagemove: bench deflate N"
# give them back, until the guest prints "bench-zb: done".
#
# usage: tests/bench/balloon-host.sh QMP_SOCKET VM_LOG
set -u
sock=$1 vmlog=$2
timeout=${BALLOON_TIMEOUT:-1200}
. "$(dirname "$0")/../qmp.sh"
have_balloonctl || exit 1
seen=0 full=
for _ in $(seq $((timeout * 4))); do
	grep -q '^bench-zb: done' "$vmlog" 2>/dev/null && exit 0
	n=$(grep -c '^pagemove: bench \(inflate\|deflate\) ' "$vmlog" 2>/dev/null)
	if [ "${n:-0}" -gt $seen ]; then
		line=$(grep '^pagemove: bench \(inflate\|deflate\) ' "$vmlog" | sed -n "$((seen + 1))p")
		seen=$((seen + 1))
		[ -n "$full" ] || full=$(actual)
		[ -n "$full" ] || { echo "balloon-host: no answer from QMP at $sock"; exit 1; }
		case $line in
		*inflate*) v=$((full - (256 << 20))) ;;
		*) v=$full ;;
		esac
		"$BALLOONCTL" -s "$sock" --no-wait set "$v" >/dev/null || exit 1
	fi
	sleep 0.25
done
echo "balloon-host: timed out"
exit 1
