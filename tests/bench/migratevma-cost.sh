#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`: hmmbench throughput without and with
# migratevma attached, alternating, ROUNDS times (64 MiB, 4 KiB pages,
# 3 hmmbench rounds each).  One line per measurement:
#   bench-mv kernel=K tracer=off|on round=N dir=to_dev|to_sys mibs=X
set -u
rounds=${1:-5}
B=${PAGEMOVE_TOP:?}/build/bin
kernel=${PAGEMOVE_KERNEL:?}
cd /tmp || exit 1
for r in $(seq "$rounds"); do
	for t in off on; do
		if [ $t = on ]; then
			"$B/migratevma" -- "$B/hmmbench" -s 64 -r 3 >run.txt 2>run.err
		else
			"$B/hmmbench" -s 64 -r 3 >run.txt 2>run.err
		fi || { echo "bench-mv: failed"; cat run.err; exit 1; }
		awk -v k="$kernel" -v t="$t" -v r="$r" \
			'/^to_(dev|sys) / { printf "bench-mv kernel=%s tracer=%s round=%s dir=%s mibs=%s\n", k, t, r, $1, $2 }' run.txt
	done
done
