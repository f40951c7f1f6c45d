#!/bin/bash
# Guest side, v1 or v2 kernel (not part of suite.sh: the series review
# evidence, issue 11): the hmmbench --account cases, each with
# tracefs hist triggers (no BPF: works on v1's events too) on the
# migrate_device drop events; prints per case hmmbench's totals and the
# events' per-reason page sums.   usage: md-evidence.sh v1|v2 TOP
set -u
ver=$1 top=$2
T=/sys/kernel/tracing/events/migrate_device
V1="hole zero_page not_anon not_present not_selected owner no_page locked pinned split_failed
	isolate_failed unmap_failed extra_refs no_dst swapcache unsupported mapping_failed insert_failed"
V2="hole zero_page not_anon not_present not_selected owner no_page locked pinned split_failed
	free truncated isolate_failed unmap_failed extra_refs no_dst_hole no_dst_page swapcache
	unsupported mapping_failed insert_failed"
if [ "$ver" = v1 ]; then
	names=($V1)
	FAILS="migrate_vma_collect_skip migrate_device_unmap_fail migrate_device_pages_fail"
	FIN=migrate_device_finalize_end:nr_migrating
else
	names=($V2)
	FAILS="migrate_vma_collect_fail migrate_device_lock_fail migrate_device_unmap_fail migrate_device_pages_fail"
	FIN=migrate_device_finalize_end:nr_pages
fi
shm=/run/pagemove-shm
mkdir -p $shm && mount -t tmpfs -o huge=advise,size=64M tmpfs $shm
CASES="4k: thp:--thp pin4k:--pin pinthp:--thp,--pin fail4k:--fail-alloc failthp:--thp,--fail-alloc
	holes:--holes zero:--zero holesback:--holes-back other4k:--other-device,/dev/hmm_dmirror1
	otherthp:--thp,--other-device,/dev/hmm_dmirror1 file4k:--file,$shm filethp:--thp,--file,$shm"
for c in $CASES; do
	name=${c%%:*} args=${c#*:}
	for e in $FAILS; do echo 'hist:keys=reason:vals=nr_pages' >$T/$e/trigger; done
	echo "hist:keys=npages:vals=${FIN#*:}" >$T/${FIN%%:*}/trigger
	out=$("$top/build/bin/hmmbench" -s 8 -r 1 --account ${args//,/ } 2>&1); rc=$?
	echo "== $name (exit $rc)"
	echo "$out" | grep 'account total' | sed 's/^hmmbench: account total /  hmmbench /'
	for e in $FAILS; do
		sed -n 's/^{ reason: *\([0-9]*\) *} hitcount: *\([0-9]*\) *nr_pages: *\([0-9]*\).*/\1 \2 \3/p' $T/$e/hist |
			while read -r r n p; do echo "  $e ${names[$r]} $p pages ($n events)"; done
	done
	moved=$(sed -n "s/.*${FIN#*:}: *\([0-9]*\).*/\1/p" $T/${FIN%%:*}/hist | awk '{ s += $1 } END { print s + 0 }')
	echo "  events: finalize_end moved $moved"
	for e in $FAILS; do echo '!hist:keys=reason:vals=nr_pages' >$T/$e/trigger; done
	echo "!hist:keys=npages:vals=${FIN#*:}" >$T/${FIN%%:*}/trigger
done
umount $shm
