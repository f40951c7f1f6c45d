#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the balloon speed bench (ci/bench.sh, part "balloon"):
# says "pagemove: bench-balloon ready", then idles while the host
# (tests/bench/balloon-speed-host.sh) inflates the balloon by MIB and
# deflates it ROUNDS times, until the host creates DONE_FILE.  Afterwards
# the guest's own counters must agree with what the host asked for:
# vmstat balloon_inflate and balloon_deflate each grew by ROUNDS x MIB,
# nr_balloon_pages and MemTotal are back where they started.
#   bench-balloon-check NAME ok|bad got=X want=Y
#
# usage: balloon-speed.sh ROUNDS MIB DONE_FILE
set -u
rounds=$1 mib=$2 done=$3
. "$(dirname "$0")/../vm/lib.sh"	# vmstat, memtotal
say() { echo "bench-balloon-check $1 $([ "$2" = "$3" ] && echo ok || echo bad) got=$2 want=$3"; }

# Let the boot's own work finish before the clock starts.
sync
echo 3 >/proc/sys/vm/drop_caches
sleep 2
inflate0=$(vmstat balloon_inflate) deflate0=$(vmstat balloon_deflate)
bal0=$(vmstat nr_balloon_pages) mt0=$(memtotal)
echo "pagemove: bench-balloon ready"
for _ in $(seq 7200); do
	[ -e "$done" ] && break
	sleep 0.5
done
[ -e "$done" ] || { echo "bench-balloon: the host never said done"; exit 1; }
sleep 1
pfns=$((rounds * mib * 256))
say inflated "$(( $(vmstat balloon_inflate) - inflate0 ))" $pfns
say deflated "$(( $(vmstat balloon_deflate) - deflate0 ))" $pfns
say nr_balloon_pages "$(vmstat nr_balloon_pages)" "$bal0"
say MemTotal "$(memtotal)" "$mt0"
echo "bench-balloon: done"
