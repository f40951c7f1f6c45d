#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`: device migration throughput from the tree's
# hmm-tests benchmark (256 MiB to the device and back, THP and 4 KiB pages,
# 5 timed iterations each), ROUNDS times.  On the patched kernel the rounds
# alternate between the migrate_device events disabled and enabled.
# One line per measurement:
#   bench kernel=K events=off|on round=N pages=thp|4k dir=s2d|d2s ms=T
#
# usage: hmm-cost.sh ROUNDS
set -u
rounds=${1:-5}
top=${PAGEMOVE_TOP:?}
kernel=${PAGEMOVE_KERNEL:?}
T=/sys/kernel/tracing/events/migrate_device
dir=/run/pagemove-bench
mkdir -p $dir && mount -t tmpfs tmpfs $dir && cp "$top/build/selftests/mm/hmm-tests" $dir/
cd $dir || exit 1
for r in $(seq "$rounds"); do
	for ev in off on; do
		if [ "$ev" = on ]; then
			[ -d $T ] || continue
			echo 1 >$T/enable
			echo 16384 >/sys/kernel/tracing/buffer_size_kb
		fi
		./hmm-tests -r hmm.hmm_device_private.benchmark_thp_migration >run.log 2>&1 ||
			{ echo "bench: hmm-tests failed"; cat run.log; exit 1; }
		[ -d $T ] && echo 0 >$T/enable
		awk -v k="$kernel" -v e="$ev" -v r="$r" '
			/^=== / { big = ($0 ~ /256\.0 MB/) }
			big && /^Sys->Dev Migration/ { printf "bench kernel=%s events=%s round=%s pages=thp dir=s2d ms=%s\n", k, e, r, $4;
						      printf "bench kernel=%s events=%s round=%s pages=4k dir=s2d ms=%s\n", k, e, r, $7 }
			big && /^Dev->Sys Migration/ { printf "bench kernel=%s events=%s round=%s pages=thp dir=d2s ms=%s\n", k, e, r, $4;
						      printf "bench kernel=%s events=%s round=%s pages=4k dir=d2s ms=%s\n", k, e, r, $7 }
		' run.log
	done
done
if [ -d $T ]; then
	echo "bench: trace buffer entries with events on: $(grep -m1 entries-in-buffer /sys/kernel/tracing/trace)"
fi
