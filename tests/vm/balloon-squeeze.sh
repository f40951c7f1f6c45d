#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side, any kernel (stock too: no events needed): the host
# (tests/balloon-drive.sh MIB) inflates and deflates by MIB, then squeezes
# the guest while a 640 MiB anonymous hog (no swap) holds memory, and gives
# it back.  Prints what the squeeze did to the guest, for the host to
# compare kernels:
#   balloon-squeeze kernel=K oom_kill=N alloc_fail=N peak_pages=N
set -u
here=$(cd "$(dirname "$0")" && pwd)
failed=0
. "$here/lib.sh"
mib=${1:-64}
inflate0=$(vmstat balloon_inflate) deflate0=$(vmstat balloon_deflate)
ballooned() { echo $(( $(vmstat balloon_inflate) - $(vmstat balloon_deflate) )); }
echo "pagemove: balloon ready"
wait_vmstat balloon_inflate "$inflate0" $((mib * 256)) || fail "inflated" "no"
echo "pagemove: balloon inflated"
wait_vmstat balloon_deflate "$deflate0" $((mib * 256)) || fail "deflated" "no"
python3 -c 'import os, signal, time
open("/proc/self/oom_score_adj", "w").write("1000")
hog = bytearray(640 << 20)
for i in range(0, len(hog), 4096): hog[i] = 1
signal.pause()' &
hog=$!
sleep 5
oom0=$(vmstat oom_kill) b0=$(ballooned) i0=$(vmstat balloon_inflate) peak=0 squeezed=0
puff0=$(dmesg | grep -c 'Out of puff')
echo "pagemove: balloon squeeze"
# Squeezed once balloon_inflate grew (a sample of the size can miss a
# squeeze that the host undoes within seconds, tests/vm/events.sh); the
# peak is sampled.
for _ in $(seq 1200); do
	# One read of the counter for both tests: a squeeze that starts
	# between two reads must not look already undone.
	i=$(vmstat balloon_inflate)
	b=$(( i - $(vmstat balloon_deflate) - b0 ))
	[ $b -gt $peak ] && peak=$b
	[ "$i" -gt "$i0" ] && squeezed=1
	[ $squeezed = 1 ] && [ $b -le 0 ] && break
	sleep 0.5
done
kill $hog 2>/dev/null
wait $hog 2>/dev/null
echo "balloon-squeeze kernel=$PAGEMOVE_KERNEL oom_kill=$(( $(vmstat oom_kill) - oom0 ))" \
	"alloc_fail=$(( $(dmesg | grep -c 'Out of puff') - puff0 )) peak_pages=$peak"
exit $failed
