#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side, patched kernel: every event of the series is listed by tracefs
# (and perf), and while tpcheck counts them next to fentry/fexit counts of
# the functions they sit in, the workloads make them fire:
#   - the tree's hmm-tests and hmmbench --pin/--fail-alloc (migrate_device),
#   - zram writes, frees, zram compaction, and memory offlining that
#     migrates the zspages (zsmalloc),
#   - a balloon inflate/deflate driven by the host over QMP, when
#     PAGEMOVE_BALLOON=1 (balloon events).
# The counts must agree with the fentry/fexit counts and with the kernel's
# own statistics (/proc/vmstat, zram mm_stat).  PASS:/FAIL: lines.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${PAGEMOVE_TOP:?}
out=${PAGEMOVE_OUT:?}
failed=0
. "$here/lib.sh"

T=/sys/kernel/tracing/events
declare -A EVENTS=(
	[migrate_device]="migrate_vma_setup_begin migrate_vma_collect migrate_device_unmap
		migrate_device_pages_begin migrate_device_pages_end
		migrate_device_finalize_begin migrate_device_finalize_end
		migrate_vma_collect_hole migrate_vma_collect_skip
		migrate_device_unmap_fail migrate_device_pages_fail"
	[zsmalloc]="zs_page_isolate zs_page_migrate_begin zs_page_migrate_end zs_page_putback
		zs_compact_begin zs_compact_class zs_compact_end"
	[balloon]="balloon_batch_begin balloon_batch_end balloon_page_alloc_fail
		balloon_tell_host_begin balloon_tell_host_end balloon_page_migrate"
)

# 1. The events exist, for tracefs and for perf.
for sys in migrate_device zsmalloc balloon; do
	n=0 missing=
	for ev in ${EVENTS[$sys]}; do
		n=$((n + 1))
		[ -f "$T/$sys/$ev/format" ] || missing="$missing $ev"
	done
	if [ -z "$missing" ]; then
		pass "tracefs lists the $n $sys events"
	else
		fail "tracefs lists the $n $sys events" "missing:$missing"
	fi
	if command -v perf >/dev/null; then
		got=$(perf list "$sys:*" 2>/dev/null | grep -c "^ *$sys:")
		check_eq "perf list shows the $sys events" "$got" "$n"
	fi
done

vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

# tracefs hist triggers on some events: a second, BPF-free count of them,
# with reasons and results shown by name in the log.
HISTS="migrate_device/migrate_vma_collect_skip:reason:nr_pages
	migrate_device/migrate_vma_collect_hole:reason:nr_pages
	zsmalloc/zs_page_migrate_end:result:nr_objs
	zsmalloc/zs_compact_end:pool:nr_pages_freed
	balloon/balloon_batch_end:dir:done_pfns
	balloon/balloon_page_migrate:result:hitcount"
for h in $HISTS; do
	IFS=: read -r ev key val <<<"$h"
	echo "hist:keys=$key:vals=$val" >"$T/$ev/trigger" ||
		fail "hist trigger on $ev" "cannot set it"
done
hist_hits() { sed -n 's/^ *Hits: *//p' "$T/$1/hist"; }

# 2. Count while the workloads run.
rm -f "$out/tpcheck.txt"
"$top/build/bin/tpcheck" -o "$out/tpcheck.txt" >"$out/tpcheck.log" 2>&1 &
tp=$!
for _ in $(seq 600); do
	grep -q '^tpcheck: ready' "$out/tpcheck.log" && break
	kill -0 $tp 2>/dev/null || break
	sleep 0.5
done
if ! grep -q '^tpcheck: ready' "$out/tpcheck.log"; then
	fail "tpcheck attached" "$(tail -n 5 "$out/tpcheck.log")"
	exit $failed
fi
pass "tpcheck attached its tracepoint and fentry/fexit programs"

# hmm-tests drive migrate_vma_* and migrate_device_* through lib/test_hmm.c.
if bash "$here/hmm-tests.sh"; then
	pass "hmm-tests ran to completion"
else
	fail "hmm-tests ran to completion" "see $out/hmm-tests-${PAGEMOVE_KERNEL}.tap"
fi

# hmmbench: a page held by a pipe (unmap_fail, extra_refs) and a device
# page the driver fails to allocate (pages_fail, no_dst).
for mode in --pin --fail-alloc; do
	"$top/build/bin/hmmbench" -s 8 -r 1 $mode >/dev/null ||
		fail "hmmbench $mode" "exit $?"
done

# zram: zspages are movable, but where memory compaction finds them is luck
# (its scanners often meet before they reach them).  Memory offlining is
# not: make the top memory blocks ZONE_MOVABLE, where zsmalloc's movable
# allocations go first, write 32 MiB over many size classes, free every
# other page (zero pages are not kept by zsmalloc), compact the pool, then
# offline the movable blocks, which migrates every zspage in them.
M=/sys/devices/system/memory
movable=()
for b in $(ls -d $M/memory[0-9]* | sort -V | tail -n 5); do
	echo offline >"$b/state" 2>/dev/null && movable+=("$b")
done
for b in "${movable[@]}"; do
	echo online_movable >"$b/state" || fail "online_movable $(basename "$b")" "refused"
done
if [ ${#movable[@]} -gt 0 ]; then
	pass "${#movable[@]} memory blocks made ZONE_MOVABLE for the zspages"
else
	fail "memory blocks made ZONE_MOVABLE" "no block could be offlined"
fi
zram=/sys/block/zram0
echo 1 >$zram/reset
echo 128M >$zram/disksize
python3 - <<'PY'
import mmap, os, random
fd = os.open('/dev/zram0', os.O_WRONLY | os.O_DIRECT)
buf, zero = mmap.mmap(-1, 4096), mmap.mmap(-1, 4096)
rnd = random.Random(1)
n = 8192
for i in range(n):
    k = 64 + (i * 37) % 3000          # incompressible prefix: spreads classes
    buf.seek(0)
    buf.write(rnd.randbytes(k) + bytes(4096 - k))
    os.pwrite(fd, buf, i * 4096)
for i in range(0, n, 2):
    os.pwrite(fd, zero, i * 4096)
os.close(fd)
PY
compacted0=$(awk '{ print $7 }' $zram/mm_stat)
echo 1 >$zram/compact
compacted=$(( $(awk '{ print $7 }' $zram/mm_stat) - compacted0 ))
for b in "${movable[@]}"; do
	echo offline >"$b/state" || fail "offline $(basename "$b") with zspages in it" "refused"
	echo online_movable >"$b/state"
done
echo "zram: mm_stat $(cat $zram/mm_stat)"

# Balloon: the host shrinks the guest by 512 MiB, we offline the movable
# blocks while it is inflated, the host gives the memory back.
want_pfns=$((512 * 256))
inflate0=$(vmstat balloon_inflate) deflate0=$(vmstat balloon_deflate)
bmigrate0=$(vmstat balloon_migrate)
wait_vmstat() {	# wait_vmstat KEY BASE DELTA
	for _ in $(seq 600); do
		[ $(( $(vmstat "$1") - $2 )) -ge "$3" ] && return 0
		sleep 0.5
	done
	return 1
}
if [ "${PAGEMOVE_BALLOON:-0}" = 1 ]; then
	echo "pagemove: balloon ready"
	wait_vmstat balloon_inflate "$inflate0" $want_pfns ||
		fail "balloon inflated by the host" "balloon_inflate +$(( $(vmstat balloon_inflate) - inflate0 ))"
	# Inflated pages are movable and went to ZONE_MOVABLE first:
	# offlining those blocks migrates them (balloon_page_migrate).
	for b in "${movable[@]}"; do
		echo offline >"$b/state" || fail "offline $(basename "$b") with balloon pages in it" "refused"
		echo online_movable >"$b/state"
	done
	echo "pagemove: balloon inflated"
	wait_vmstat balloon_deflate "$deflate0" $want_pfns ||
		fail "balloon deflated by the host" "balloon_deflate +$(( $(vmstat balloon_deflate) - deflate0 ))"
fi
inflated=$(( $(vmstat balloon_inflate) - inflate0 ))
deflated=$(( $(vmstat balloon_deflate) - deflate0 ))
bmigrated=$(( $(vmstat balloon_migrate) - bmigrate0 ))

kill -INT $tp
wait $tp
rc=$?
if [ $rc != 0 ] || [ ! -s "$out/tpcheck.txt" ]; then
	fail "tpcheck wrote its counts" "exit $rc: $(tail -n 5 "$out/tpcheck.log")"
	exit $failed
fi
declare -A c
while read -r k v; do c[$k]=$v; done <"$out/tpcheck.txt"
sed 's/^/  tpcheck: /' "$out/tpcheck.txt"

# 3. What the tracepoints say against what independent counts say.
echo "tracefs hist triggers:"
for h in $HISTS; do
	IFS=: read -r ev key val <<<"$h"
	grep -E '^\{|Hits' "$T/$ev/hist" | sed "s|^|  $ev: |"
done
check_eq "hist: migrate_vma_collect_skip hits = BPF count" \
	"$(hist_hits migrate_device/migrate_vma_collect_skip)" "${c[tp_migrate_vma_collect_skip]}"
check_eq "hist: migrate_vma_collect_hole hits = BPF count" \
	"$(hist_hits migrate_device/migrate_vma_collect_hole)" "${c[tp_migrate_vma_collect_hole]}"
check_eq "hist: zs_page_migrate_end hits = BPF count" \
	"$(hist_hits zsmalloc/zs_page_migrate_end)" "${c[tp_zs_page_migrate_end]}"
check_eq "hist: zs_compact_end hits = BPF count" \
	"$(hist_hits zsmalloc/zs_compact_end)" "${c[tp_zs_compact_end]}"
check_eq "hist: balloon_batch_end hits = BPF count" \
	"$(hist_hits balloon/balloon_batch_end)" "${c[tp_balloon_batch_end]}"
check_eq "hist: balloon_page_migrate hits = BPF count" \
	"$(hist_hits balloon/balloon_page_migrate)" "${c[tp_balloon_page_migrate]}"
echo "migrate_device:"
check_gt0 "migrate_vma_setup_begin fired" "${c[tp_migrate_vma_setup_begin]}"
check_eq "migrate_vma_setup_begin = successful migrate_vma_setup() (fexit)" \
	"${c[tp_migrate_vma_setup_begin]}" "${c[fx_migrate_vma_setup_ok]}"
check_eq "migrate_vma_collect = migrate_vma_setup_begin" \
	"${c[tp_migrate_vma_collect]}" "${c[tp_migrate_vma_setup_begin]}"
check_gt0 "migrate_device_unmap fired" "${c[tp_migrate_device_unmap]}"
check_gt0 "migrate_device_pages_begin fired" "${c[tp_migrate_device_pages_begin]}"
check_eq "migrate_device_pages_begin = migrate_{vma,device}_pages() calls (fentry)" \
	"${c[tp_migrate_device_pages_begin]}" "${c[fn_migrate_pages]}"
check_eq "migrate_device_pages_end = migrate_device_pages_begin" \
	"${c[tp_migrate_device_pages_end]}" "${c[tp_migrate_device_pages_begin]}"
check_gt0 "migrate_device_finalize_begin fired" "${c[tp_migrate_device_finalize_begin]}"
check_eq "migrate_device_finalize_begin = migrate_{vma,device}_finalize() calls (fentry)" \
	"${c[tp_migrate_device_finalize_begin]}" "${c[fn_migrate_finalize]}"
check_eq "migrate_device_finalize_end = migrate_device_finalize_begin" \
	"${c[tp_migrate_device_finalize_end]}" "${c[tp_migrate_device_finalize_begin]}"
check_gt0 "migrate_vma_collect_hole fired" "${c[tp_migrate_vma_collect_hole]}"
check_gt0 "migrate_vma_collect_skip fired" "${c[tp_migrate_vma_collect_skip]}"
check_gt0 "migrate_device_unmap_fail fired (hmmbench --pin)" "${c[tp_migrate_device_unmap_fail]}"
check_gt0 "migrate_device_pages_fail fired (hmmbench --fail-alloc)" "${c[tp_migrate_device_pages_fail]}"

echo "zsmalloc:"
check_gt0 "zs_page_isolate fired" "${c[tp_zs_page_isolate]}"
check_eq "zs_page_isolate = zs_page_isolate() calls (fentry)" \
	"${c[tp_zs_page_isolate]}" "${c[fn_zs_page_isolate]}"
check_gt0 "zs_page_migrate_begin fired" "${c[tp_zs_page_migrate_begin]}"
check_eq "zs_page_migrate_begin = zs_page_migrate() calls (fexit)" \
	"${c[tp_zs_page_migrate_begin]}" "${c[fx_zs_page_migrate]}"
check_eq "zs_page_migrate_end = zs_page_migrate() calls (fexit)" \
	"${c[tp_zs_page_migrate_end]}" "${c[fx_zs_page_migrate]}"
check_eq "zs_page_migrate_end result=busy = zs_page_migrate() returning -EBUSY" \
	"${c[tp_zs_page_migrate_busy]}" "${c[fx_zs_page_migrate_busy]}"
check_eq "zs_page_migrate_end success+freed = zs_page_migrate() returning 0" \
	"$(( c[tp_zs_page_migrate_end] - c[tp_zs_page_migrate_busy] ))" "${c[fx_zs_page_migrate_ok]}"
check_gt0 "zs_page_migrate_end moved objects" "${c[tp_zs_page_migrate_objs]}"
check_eq "zs_page_putback = zs_page_putback() calls (fentry)" \
	"${c[tp_zs_page_putback]}" "${c[fn_zs_page_putback]}"
check_gt0 "zs_compact_end freed pages" "${c[tp_zs_compact_pages_freed]}"
check_eq "zs_compact_end pages freed = zs_compact() return values (fexit)" \
	"${c[tp_zs_compact_pages_freed]}" "${c[fx_zs_compact_pages_freed]}"
check_eq "zs_compact_class pages freed add up to zs_compact_end's" \
	"${c[tp_zs_compact_class_pages_freed]}" "${c[tp_zs_compact_pages_freed]}"
check_eq "zs_compact_begin = zs_compact_end" "${c[tp_zs_compact_begin]}" "${c[tp_zs_compact_end]}"
if [ "$compacted" -le "${c[tp_zs_compact_pages_freed]}" ] && [ "$compacted" -gt 0 ]; then
	pass "zram0 compaction freed $compacted pages (mm_stat), within the events' ${c[tp_zs_compact_pages_freed]}"
else
	fail "zram0 compaction seen by the events" "mm_stat +$compacted, events ${c[tp_zs_compact_pages_freed]}"
fi

echo "balloon:"
if [ "${PAGEMOVE_BALLOON:-0}" = 1 ]; then
	check_gt0 "balloon_batch_end inflated pfns" "${c[tp_balloon_inflated_pfns]}"
	check_eq "balloon_batch_end inflated pfns = vmstat balloon_inflate" \
		"${c[tp_balloon_inflated_pfns]}" "$inflated"
	check_eq "balloon_batch_end deflated pfns = vmstat balloon_deflate" \
		"${c[tp_balloon_deflated_pfns]}" "$deflated"
	check_eq "balloon_batch_end = balloon_batch_begin" \
		"${c[tp_balloon_batch_end]}" "${c[tp_balloon_batch_begin]}"
	check_gt0 "balloon_tell_host_begin fired" "${c[tp_balloon_tell_host_begin]}"
	check_eq "balloon_tell_host_begin = tell_host() calls (fentry)" \
		"${c[tp_balloon_tell_host_begin]}" "${c[fn_tell_host]}"
	check_eq "balloon_tell_host_end = balloon_tell_host_begin" \
		"${c[tp_balloon_tell_host_end]}" "${c[tp_balloon_tell_host_begin]}"
	check_eq "deflate batches = leak_balloon() calls (fentry)" \
		"${c[tp_balloon_deflate_batches]}" "${c[fn_leak_balloon]}"
	check_gt0 "balloon_page_migrate fired" "${c[tp_balloon_page_migrate]}"
	check_eq "balloon_page_migrate result=0 = vmstat balloon_migrate" \
		"${c[tp_balloon_page_migrate_ok]}" "$bmigrated"
else
	echo "  (no balloon workload: PAGEMOVE_BALLOON not set)"
fi
exit $failed
