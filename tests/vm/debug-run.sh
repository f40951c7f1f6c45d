#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make check-debug`: the debug kernel (lockdep, KASAN,
# DEBUG_VM) runs every workload of the VM suite -- smoke, then
# tests/vm/events.sh (hmm-tests, hmmbench --pin and --fail-alloc, zram
# writes and compaction with the zspages migrated by memory offlining, the
# host's balloon inflate/deflate with the inflated pages migrated), then
# migratevma under hmmbench -- and hmmbench with transparent huge pages.
# The kernel log is followed into $PAGEMOVE_OUT/dmesg-follow.txt from the
# first boot line on (so a splat survives a guest that dies later), and
# dumped whole into $PAGEMOVE_OUT/dmesg.txt at the end; the host scans both.
#
# usage: debug-run.sh EXPECTED_RELEASE EXPECTED_UTS_VERSION
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${PAGEMOVE_TOP:?}
out=${PAGEMOVE_OUT:?}
failed=0
. "$here/lib.sh"

rm -f "$out/dmesg-follow.txt" "$out/dmesg.txt"
dmesg --follow >"$out/dmesg-follow.txt" 2>&1 &
follow=$!

bash "$here/suite.sh" "$1" "$2"
failed=$?

# Huge pages: the whole THP path of migrate_device (collect a PMD, split
# or migrate it whole, finalize), 32 MiB to the device and back twice.
if "$top/build/bin/hmmbench" -s 32 -r 2 --thp >"$out/hmmbench-thp.txt" 2>&1; then
	pass "hmmbench --thp ran on the debug kernel ($(grep -m1 'pages migrated' "$out/hmmbench-thp.txt"))"
else
	fail "hmmbench --thp ran on the debug kernel" "exit $?: $(tail -n 3 "$out/hmmbench-thp.txt")"
fi

sleep 1
kill "$follow" 2>/dev/null
wait "$follow" 2>/dev/null
dmesg >"$out/dmesg.txt" 2>&1
echo "pagemove: debug workloads done, kernel log $(wc -l <"$out/dmesg.txt") lines"
exit $failed
