#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side, patched kernel: every event of the series is listed by tracefs
# (and perf), and while tpcheck counts them next to fentry/fexit counts of
# the functions they sit in, the workloads make them fire:
#   - the tree's hmm-tests and hmmbench --pin/--fail-alloc (migrate_device);
#     then hmmbench --account cases (THP, holes, pinned pages, failed
#     allocations, zero pages, another device's pages) under a tpcheck of
#     their own, whose reasons must add up to the pages hmmbench saw stay,
#   - two zram devices: writes, frees, compaction by the shrinker (zram0)
#     and by the compact file (zram1), memory offlining that migrates the
#     zspages while a reader keeps some of them busy (zsmalloc),
#   - a balloon inflate/deflate driven by the host over QMP, with balloon
#     pages migrated by offlining and a squeeze to the point where the
#     driver cannot allocate, when PAGEMOVE_BALLOON=1 (balloon and
#     virtio_balloon events).
# The counts must agree with the fentry/fexit counts and with the kernel's
# own statistics (/proc/vmstat, zram mm_stat).  PASS:/FAIL: lines, SKIP:
# lines for checks whose event the workload could not provoke, counted in
# the closing line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${PAGEMOVE_TOP:?}
out=${PAGEMOVE_OUT:?}
failed=0 skipped=0
. "$here/lib.sh"
skip() { echo "SKIP: $1: $2"; skipped=$((skipped + 1)); }
# check_gt0_or_skip NAME VALUE WHY: an event only some runs provoke.
check_gt0_or_skip() {
	if [ "${2:-0}" -gt 0 ] 2>/dev/null; then pass "$1 ($2)"; else skip "$1" "$3"; fi
}

T=/sys/kernel/tracing/events
declare -A EVENTS=(
	[migrate_device]="migrate_vma_setup_begin migrate_vma_collect_end
		migrate_device_range_begin migrate_device_pfns_begin
		migrate_device_unmap_begin migrate_device_unmap_end
		migrate_vma_pages_begin migrate_device_pages_begin migrate_device_pages_end
		migrate_vma_finalize_begin migrate_device_finalize_begin
		migrate_device_finalize_end migrate_vma_hole migrate_vma_collect_fail
		migrate_device_lock_fail migrate_device_unmap_fail migrate_device_pages_fail"
	[zsmalloc]="zs_migrate_isolate zs_migrate_begin zs_migrate_end zs_migrate_putback
		zs_compact_class zs_shrink"
	[balloon]="balloon_migrate"
	[virtio_balloon]="virtio_balloon_batch_begin virtio_balloon_batch_end
		virtio_balloon_alloc_fail virtio_balloon_tell_host_begin
		virtio_balloon_tell_host_end virtio_balloon_target"
)

# 1. The events exist, for tracefs and for perf.
for sys in migrate_device zsmalloc balloon virtio_balloon; do
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
	else
		fail "perf list shows the $sys events" "no perf in the guest"
	fi
done

# Every value an event prints has its key ("op=%s", never a bare "%s").
for sys in zsmalloc balloon virtio_balloon; do
	bare=
	for f in "$T/$sys"/*/format; do
		[ -f "$f" ] || continue
		ev=$(basename "$(dirname "$f")")
		fmt=$(sed -n 's/^print fmt: "\([^"]*\)".*/\1/p' "$f")
		grep -qP '(?<!=)(?<!=0x)%' <<<"$fmt" && bare="$bare $ev"
	done
	if [ -z "$bare" ]; then
		pass "$sys events print every value with its key"
	else
		fail "$sys events print every value with its key" "bare values in:$bare"
	fi
done


# tracefs hist triggers on some events: a second, BPF-free count of them,
# with reasons and results shown by name in the log.
HISTS="migrate_device/migrate_vma_collect_fail:reason:nr_pages
	migrate_device/migrate_vma_hole:reason:nr_pages
	zsmalloc/zs_migrate_end:pool,result:nr_objs
	zsmalloc/zs_compact_class:pool:nr_pages_freed
	zsmalloc/zs_shrink:pool:nr_pages_freed
	balloon/balloon_migrate:result:hitcount
	virtio_balloon/virtio_balloon_batch_end:op:done"
for h in $HISTS; do
	IFS=: read -r ev key val <<<"$h"
	echo "hist:keys=$key:vals=$val" >"$T/$ev/trigger" ||
		fail "hist trigger on $ev" "cannot set it"
done
hist_hits() { sed -n 's/^ *Hits: *//p' "$T/$1/hist"; }
# hist_val EVENT KEY=VALUE FIELD: FIELD of the hist entry whose key is
# VALUE (a string key or a number), 0 when there is none.
hist_val() {
	awk -v kv="$2" -v f="$3" '
		BEGIN { split(kv, a, "="); key = a[1]; want = a[2]; n = 0 }
		/^\{/ {
			line = $0
			if (!match(line, key ": *[^,}]*")) next
			v = substr(line, RSTART, RLENGTH); sub(/^[^:]*: */, "", v); sub(/ *$/, "", v)
			if (v != want) next
			if (match(line, f ": *[0-9]+")) {
				x = substr(line, RSTART, RLENGTH); sub(/^[^:]*: */, "", x); n += x
			}
		}
		END { print n }' "$T/$1/hist"
}

# 2. Count while the workloads run.
if ! start_tpcheck tpcheck; then
	fail "tpcheck attached" "$(tail -n 5 "$out/tpcheck.log")"
	exit $failed
fi
pass "tpcheck attached its tracepoint and fentry/fexit programs"
# A tracepoint it could not find is a FAIL here (its counts stay 0).
while read -r _ _ _ ev rest; do
	fail "tpcheck found tracepoint $ev" "the kernel has no such event${rest:+ ($rest)}"
done < <(grep '^tpcheck: no tracepoint ' "$out/tpcheck.log")

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

# hmmbench --account: one case per reason hmmbench can cause, 4 KiB and THP,
# in two groups (anonymous memory; a file), each counted by a tpcheck of its
# own, whose window holds only these runs.  --file maps a file on a tmpfs
# that gives huge pages where asked (shmem THP with --thp): page cache,
# which device migration collects but does not move.
shm=/run/pagemove-shm
mkdir -p $shm
mount -t tmpfs -o huge=advise,size=64M tmpfs $shm ||
	fail "tmpfs huge=advise for hmmbench --file" "mount refused"
ACCT_anon="4k: thp:--thp pin4k:--pin pinthp:--thp,--pin fail4k:--fail-alloc
	failthp:--thp,--fail-alloc holes:--holes zero:--zero holesback:--holes-back
	other4k:--other-device,/dev/hmm_dmirror1 otherthp:--thp,--other-device,/dev/hmm_dmirror1"
ACCT_file="file4k:--file,$shm filethp:--thp,--file,$shm"
rm -f "$out"/acct-*.txt "$out"/acct-*.tp
for g in anon file; do
	cases=ACCT_$g
	cat >"$out/acct-$g.sh" <<EOF
#!/bin/bash
rc=0
for c in $(echo ${!cases}); do
	name=\${c%%:*} args=\${c#*:}
	"$top/build/bin/hmmbench" -s 8 -r 1 --account \${args//,/ } >"$out/acct-$g-\$name.txt" 2>&1 ||
		{ echo "hmmbench \$name: exit \$?"; rc=1; }
done
exit \$rc
EOF
	if "$top/build/bin/tpcheck" -o "$out/acct-$g.tp" -- bash "$out/acct-$g.sh" \
		>"$out/acct-$g.log" 2>&1; then
		pass "hmmbench --account $g cases ran under tpcheck ($(echo ${!cases} | wc -w))"
	else
		fail "hmmbench --account $g cases ran under tpcheck" \
			"$(grep -v '^tpcheck: ready' "$out/acct-$g.log" | tail -n 3)"
		rm -f "$out/acct-$g.tp"
	fi
done
umount $shm
# acct_one CASE DIR KEY: one case's hmmbench total
acct_one() {
	awk -v d="dir=$2" -v k="$3" '$2 == "account" && $3 == "total" && $4 == d {
		for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' \
		"$out"/acct-*-"$1".txt
}

# zram: zspages are movable, but where memory compaction finds them is luck
# (its scanners often meet before they reach them).  Memory offlining is
# not: make the top memory blocks ZONE_MOVABLE, where zsmalloc's movable
# allocations go first.  Two devices, so that the events' pool names can
# be checked against each device's mm_stat: zram0 is filled (32 MiB over
# many size classes, then every other page freed: zero pages are not kept
# by zsmalloc) and compacted by its shrinker (drop_caches), zram1 likewise
# but compacted through its compact file.  Then the movable blocks are
# offlined, which migrates every zspage in them, while a reader keeps
# some zspages read-locked (busy migrations, putbacks).
make_movable 5
# offline_movable WHAT: offline each movable block and bring it back.
offline_movable() {
	local b bad=0
	for b in "${movable[@]}"; do
		echo offline >"$b/state" || { fail "offline $(basename "$b") with $1 in it" "refused"; bad=1; }
		echo online_movable >"$b/state" ||
			{ fail "online_movable $(basename "$b") after offlining $1" "refused"; bad=1; }
	done
	[ $bad = 0 ] && [ ${#movable[@]} -gt 0 ] && pass "offlined and re-onlined ${#movable[@]} blocks with $1"
}
mm_compacted() { awk '{ print $7 }' "/sys/block/$1/mm_stat"; }
# zram_fill DEV: 8192 pages of 64..3063 incompressible bytes, every other
# page then overwritten with zeros.
# A device just made by hot_add is probed by udev (blkid opens it), and
# zram refuses a reset with EBUSY while anyone holds it open: wait for
# udev, then retry for up to 5 s before calling it a failure.
zram_fill() {
	local try
	command -v udevadm >/dev/null && udevadm settle --timeout=5 2>/dev/null
	for try in $(seq 50); do
		echo 1 2>/dev/null >"/sys/block/$1/reset" && break
		sleep 0.1
	done
	echo 1 >"/sys/block/$1/reset" && echo 64M >"/sys/block/$1/disksize" ||
		{ fail "zram $1 set up" "reset/disksize refused"; return; }
	if python3 - "/dev/$1" <<'PY'
import mmap, os, random, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_DIRECT)
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
	then
		pass "zram writer filled $1"
	else
		fail "zram writer filled $1" "exit $?"
	fi
}
zram_fill zram0
# The shrinker: drop_caches runs every shrinker, zsmalloc's compacts.
echo 2 >/proc/sys/vm/drop_caches || fail "drop_caches" "refused"
zram1=$(cat /sys/class/zram-control/hot_add 2>/dev/null)
if [ "$zram1" = 1 ]; then
	zram_fill zram1
	if echo 1 >/sys/block/zram1/compact; then
		pass "zram1 compact file written"
	else
		fail "zram1 compact file written" "refused"
	fi
else
	fail "second zram device" "hot_add gave '${zram1:-nothing}', want 1"
fi
# A reader keeps decompressing zram0's pages while the blocks go offline.
python3 - <<'PY' &
import mmap, os
fd = os.open('/dev/zram0', os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
while os.path.exists('/proc/self'):
    for i in range(1, 8192, 2):
        os.preadv(fd, [buf], i * 4096)
PY
reader=$!
offline_movable zspages
kill $reader 2>/dev/null
wait $reader 2>/dev/null
for d in zram0 zram1; do
	[ -e /sys/block/$d ] && echo "zram: $d mm_stat $(cat /sys/block/$d/mm_stat)"
done

# Balloon: the host shrinks the guest by 512 MiB, we offline the movable
# blocks while it is inflated (their balloon pages migrate), the host gives
# the memory back; then it squeezes the guest until the driver cannot
# allocate, and gives that back too.
want_pfns=$((512 * 256))
inflate0=$(vmstat balloon_inflate) deflate0=$(vmstat balloon_deflate)
bmigrate0=$(vmstat balloon_migrate)
bal0=$(vmstat nr_balloon_pages) oom0=$(vmstat oom_kill)
mt0=$(memtotal)
ballooned() { echo $(( $(vmstat balloon_inflate) - $(vmstat balloon_deflate) )); }
squeezed=0
if [ "${PAGEMOVE_BALLOON:-0}" = 1 ]; then
	echo "pagemove: balloon ready"
	wait_vmstat balloon_inflate "$inflate0" $want_pfns ||
		fail "balloon inflated by the host" "balloon_inflate +$(( $(vmstat balloon_inflate) - inflate0 ))"
	# The host waits for `actual` = its target; the guest's own
	# counters must say exactly the same (the driver accounts in bulk).
	sleep 2
	check_eq "balloon_inflate grew by the host's 512 MiB exactly (pages)" \
		"$(( $(vmstat balloon_inflate) - inflate0 ))" $want_pfns
	check_eq "nr_balloon_pages grew by the host's 512 MiB exactly" \
		"$(( $(vmstat nr_balloon_pages) - bal0 ))" $want_pfns
	check_eq "MemTotal fell by the host's 512 MiB exactly (kB)" "$(( mt0 - $(memtotal) ))" $((512 * 1024))
	# the host compares it with balloonctl's actual (tests/balloon-drive.sh)
	echo "pagemove: balloon vmstat inflate $(( $(vmstat balloon_inflate) - inflate0 ))"
	# Inflated pages are movable and went to ZONE_MOVABLE first:
	# offlining those blocks migrates them (balloon_migrate).
	offline_movable "balloon pages"
	echo "pagemove: balloon inflated"
	wait_vmstat balloon_deflate "$deflate0" $want_pfns ||
		fail "balloon deflated by the host" "balloon_deflate +$(( $(vmstat balloon_deflate) - deflate0 ))"
	sleep 2
	check_eq "balloon_deflate grew by the host's 512 MiB exactly (pages)" \
		"$(( $(vmstat balloon_deflate) - deflate0 ))" $want_pfns
	check_eq "nr_balloon_pages back where it started" "$(vmstat nr_balloon_pages)" "$bal0"
	check_eq "MemTotal back where it started (kB)" "$(memtotal)" "$mt0"
	echo "pagemove: balloon vmstat deflate $(( $(vmstat balloon_deflate) - deflate0 ))"
	# The squeeze: 640 MiB of anonymous memory (no swap: the balloon
	# cannot get it) leave the host's target out of reach, so the driver
	# runs out of pages; the hog is also the OOM killer's first choice
	# should anything else run short.  The host waits until the balloon
	# stops growing, then deflates it; we wait until it is empty again.
	python3 -c 'import os, signal, time
open("/proc/self/oom_score_adj", "w").write("1000")
hog = bytearray(640 << 20)
for i in range(0, len(hog), 4096): hog[i] = 1
signal.pause()' &
	hog=$!
	sleep 5
	# Squeezed: balloon_inflate grew (a counter: sampling the balloon's
	# size can miss it, when the OOM killer takes the hog the balloon
	# reaches the target and the host empties it again within 2-3 s
	# while this shell may be stalled in reclaim); given back: the
	# balloon is no larger than before.
	b0=$(ballooned) i0=$(vmstat balloon_inflate)
	echo "pagemove: balloon squeeze"
	for _ in $(seq 1200); do
		i=$(vmstat balloon_inflate)
		[ "$i" -gt "$i0" ] && squeezed=1
		[ $squeezed = 1 ] && [ $(( i - $(vmstat balloon_deflate) )) -le "$b0" ] && break
		sleep 0.5
	done
	kill $hog 2>/dev/null
	wait $hog 2>/dev/null
	hog_status=$?
	# As on the stock kernel (tests/vm/balloon-squeeze.sh on both: one
	# OOM kill, the hog's, in 2026-12-04's runs) the squeeze may make the
	# OOM killer take the hog, the first choice, and nobody else.
	oomd=$(( $(vmstat oom_kill) - oom0 ))
	if [ $oomd = 0 ] || { [ $oomd = 1 ] && [ $hog_status = 137 ]; }; then
		pass "the squeeze OOM-killed nothing but the hog ($oomd kills)"
	else
		fail "the squeeze OOM-killed nothing but the hog" "$oomd kills, the hog's exit status $hog_status"
		dmesg | grep -E 'Killed process|invoked oom-killer|Out of puff' | tail -n 8 | sed 's/^/    /'
	fi
	if [ $squeezed = 1 ] && [ "$(ballooned)" -le "$b0" ]; then
		pass "host squeezed the balloon and gave the memory back"
	else
		fail "host squeezed the balloon and gave the memory back" \
			"balloon_inflate +$(( $(vmstat balloon_inflate) - i0 )), balloon at $(( $(ballooned) - b0 )) pages over the start"
	fi
fi
inflated=$(( $(vmstat balloon_inflate) - inflate0 ))
deflated=$(( $(vmstat balloon_deflate) - deflate0 ))
bmigrated=$(( $(vmstat balloon_migrate) - bmigrate0 ))

zc0=$(mm_compacted zram0)
zc1=$( [ -e /sys/block/zram1 ] && mm_compacted zram1 || echo missing)
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
check_eq "hist: migrate_vma_collect_fail hits = BPF count" \
	"$(hist_hits migrate_device/migrate_vma_collect_fail)" "${c[tp_migrate_vma_collect_fail]}"
check_eq "hist: migrate_vma_hole hits = BPF count" \
	"$(hist_hits migrate_device/migrate_vma_hole)" "${c[tp_migrate_vma_hole]}"
check_eq "hist: zs_migrate_end hits = BPF count" \
	"$(hist_hits zsmalloc/zs_migrate_end)" "${c[tp_zs_migrate_end]}"
check_eq "hist: balloon_migrate hits = BPF count" \
	"$(hist_hits balloon/balloon_migrate)" "${c[tp_balloon_migrate]}"
echo "migrate_device:"
# Each event against the calls of the function it sits in (fentry/fexit),
# its page counts against what the src/dst arrays say when the functions
# return (tpcheck walks them), and the mm of the *_fail events against the
# task that migrates.
md_eq() {	# md_eq EVENT-COUNTER INDEPENDENT-COUNTER WHAT
	check_eq "$1 = $3" "${c[$1]}" "${c[$2]}"
}
check_gt0 "migrate_vma_setup_begin fired" "${c[tp_migrate_vma_setup_begin]}"
md_eq tp_migrate_vma_setup_begin fx_migrate_vma_setup_ok "migrate_vma_setup() returning 0 (fexit)"
md_eq tp_migrate_vma_collect_end fx_migrate_vma_setup_ok "migrate_vma_setup() returning 0 (fexit)"
check_gt0 "migrate_device_range_begin fired (hmm-tests release)" "${c[tp_migrate_device_range_begin]}"
md_eq tp_migrate_device_range_begin fn_migrate_device_range "migrate_device_range() calls (fentry)"
# No workload calls migrate_device_pfns() (test_hmm uses _range only): a
# 0 = 0 would prove nothing, so it is compared only when something called it.
if [ "${c[fn_migrate_device_pfns]:-0}" -gt 0 ] 2>/dev/null; then
	md_eq tp_migrate_device_pfns_begin fn_migrate_device_pfns "migrate_device_pfns() calls (fentry)"
else
	skip "migrate_device_pfns_begin = migrate_device_pfns() calls" "no workload calls migrate_device_pfns()"
fi
check_gt0 "migrate_device_unmap_begin fired" "${c[tp_migrate_device_unmap_begin]}"
md_eq tp_migrate_device_unmap_begin fn_migrate_device_unmap "migrate_device_unmap() calls (fentry)"
md_eq tp_migrate_device_unmap_end fx_migrate_device_unmap "migrate_device_unmap() returns (fexit)"
check_gt0 "migrate_vma_pages_begin fired" "${c[tp_migrate_vma_pages_begin]}"
md_eq tp_migrate_vma_pages_begin fn_migrate_vma_pages "migrate_vma_pages() calls (fentry)"
md_eq tp_migrate_device_pages_begin fn_migrate_device_pages "migrate_device_pages() calls (fentry)"
md_eq tp_migrate_device_pages_end fx_migrate_pages "migrate_{vma,device}_pages() returns (fexit)"
md_eq tp_md_pages_end_pages fx_pages_walk_pages \
	"pages with a destination when migrate_*_pages() returns (fexit walk)"
check_gt0 "migrate_vma_finalize_begin fired" "${c[tp_migrate_vma_finalize_begin]}"
md_eq tp_migrate_vma_finalize_begin fn_migrate_vma_finalize "migrate_vma_finalize() calls (fentry)"
md_eq tp_migrate_device_finalize_begin fn_migrate_device_finalize \
	"migrate_device_finalize() calls (fentry)"
md_eq tp_migrate_device_finalize_end fx_migrate_finalize "migrate_*_finalize() returns (fexit)"
md_eq tp_md_finalize_end_pages fx_finalize_walk_pages \
	"pages moved when migrate_*_finalize() returns (fexit walk)"
md_eq tp_md_pfn_npages fx_pfn_npages "npages of migrate_device_{range,pfns}() (fexit)"
check_eq "pfn path: lock_fail + unmap_fail pages = npages - pages still marked at fexit" \
	"${c[tp_md_fail_pages_pfn]}" "$(( c[fx_pfn_npages] - c[fx_pfn_marked_pages] ))"
check_eq "src/dst walks were not truncated" "${c[fx_walk_truncated]}" 0
check_gt0 "migrate_vma_hole fired" "${c[tp_migrate_vma_hole]}"
check_gt0 "migrate_vma_collect_fail fired" "${c[tp_migrate_vma_collect_fail]}"
check_gt0 "migrate_device_lock_fail fired (free device pages)" "${c[tp_migrate_device_lock_fail]}"
check_gt0 "migrate_device_unmap_fail fired (hmmbench --pin)" "${c[tp_migrate_device_unmap_fail]}"
check_gt0 "migrate_device_pages_fail fired (hmmbench --fail-alloc)" "${c[tp_migrate_device_pages_fail]}"
check_gt0 "*_fail events of migrate_vma_*() carry the migrating task's mm" "${c[tp_md_fail_mm_current]}"
check_eq "*_fail events of migrate_vma_*() with another mm" "${c[tp_md_fail_mm_other]}" 0
check_eq "*_fail events with a reason tpcheck does not know" "${c[tp_md_unknown_reason]}" 0
# tpcheck's reason names are the kernel's, in the kernel's order.
want=$(sed -n 's/^tp_md_reason_\([a-z_]*\) .*/\1/p' "$out/tpcheck.txt" | awk '{ printf "%d %s\n", NR - 1, $1 }')
got=$(grep -o '{ [0-9]*, "[a-z_]*" }' "$T/migrate_device/migrate_device_pages_fail/format" |
	sed 's/{ \([0-9]*\), "\(.*\)" }/\1 \2/')
check_eq "reason values in the event format = tpcheck's list" "$(echo $got)" "$(echo $want)"

# Every page hmmbench asked to move either moved or got exactly one reason:
# hmmbench's own accounting (driver snapshots before and after each
# migration) against the *_fail events of migrate_vma_*() (the pfn path
# runs too, when test_hmm frees device memory).  A huge page counts 512.
# acct GROUP DIR KEY: hmmbench's total over the group's cases
acct() {
	awk -v d="dir=$2" -v k="$3" '$2 == "account" && $3 == "total" && $4 == d {
		for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) s += kv[2] } }
		END { print s + 0 }' "$out"/acct-"$1"-*.txt
}
for g in anon file; do
	[ -s "$out/acct-$g.tp" ] || continue
	unset a
	declare -A a
	while read -r k v; do a[$k]=$v; done <"$out/acct-$g.tp"
	stayed=$(( $(acct $g to_dev requested) - $(acct $g to_dev moved) +
		   $(acct $g to_sys requested) - $(acct $g to_sys moved) ))
	check_gt0 "hmmbench --account $g cases left pages behind" "$stayed"
	check_eq "$g: *_fail pages = pages hmmbench saw stay (requested - moved)" \
		"${a[tp_md_fail_pages_vma]}" "$stayed"
	check_eq "$g: migrate_device_finalize_end pages = pages hmmbench saw move" \
		"${a[tp_md_finalize_end_pages]}" "$(( $(acct $g to_dev moved) + $(acct $g to_sys moved) ))"
	check_eq "$g: not_selected = other device's pages (to_dev) + system pages (to_sys)" \
		"${a[tp_md_reason_not_selected]}" "$(( $(acct $g to_dev remote) + $(acct $g to_sys system) ))"
	check_eq "$g: no_page: none (zero pages are not_selected)" "${a[tp_md_reason_no_page]}" 0
done
if [ -s "$out/acct-anon.tp" ]; then
	declare -A a
	while read -r k v; do a[$k]=$v; done <"$out/acct-anon.tp"
	check_eq "extra_refs + pinned = hmmbench's pinned pages that stayed" \
		"$(( a[tp_md_reason_extra_refs] + a[tp_md_reason_pinned] ))" "$(acct anon to_dev pinned)"
	check_eq "owner = other device's pages (to_sys)" \
		"${a[tp_md_reason_owner]}" "$(acct anon to_sys remote)"
	check_eq "no_dst_page = pages the driver gave no destination (--fail-alloc)" \
		"${a[tp_md_reason_no_dst_page]}" "$(( $(acct anon to_dev other) + $(acct anon to_sys other) ))"
	check_eq "no_dst_hole + insert_failed = holes that stayed holes" \
		"$(( a[tp_md_reason_no_dst_hole] + a[tp_md_reason_insert_failed] ))" \
		"$(( $(acct anon to_dev hole) + $(acct anon to_sys hole) ))"
	for k in requested moved; do
		for d in to_dev to_sys; do
			check_eq "hmmbench --thp $d $k = 4 KiB $d $k" \
				"$(acct_one thp $d $k)" "$(acct_one 4k $d $k)"
		done
	done
	check_gt0 "hmmbench --thp: pages were PMD-mapped" "$(acct_one thp to_dev thp)"
	check_eq "hmmbench 4 KiB: no page PMD-mapped" "$(acct_one 4k to_dev thp)" 0
	check_eq "hmmbench --thp --pin: a whole huge page stayed" "$(acct_one pinthp to_dev pinned)" 512
fi
if [ -s "$out/acct-file.tp" ]; then
	declare -A a
	while read -r k v; do a[$k]=$v; done <"$out/acct-file.tp"
	# Page cache stays: a 4 KiB page in migrate_*_pages() (not_anon), a
	# shmem THP already in unmap, where the page cache's references to
	# its 512 pages look like extra ones (extra_refs).
	check_eq "file: not_anon + extra_refs = file pages that stayed" \
		"$(( a[tp_md_reason_not_anon] + a[tp_md_reason_extra_refs] ))" "$(acct file to_dev file)"
	check_gt0 "hmmbench --thp --file: shmem pages were PMD-mapped" "$(acct_one filethp to_dev thp)"
	check_eq "hmmbench --thp --file: pages that stayed = 4 KiB --file" \
		"$(acct_one filethp to_dev file)" "$(acct_one file4k to_dev file)"
fi

echo "zsmalloc:"
check_gt0 "zs_migrate_isolate fired" "${c[tp_zs_migrate_isolate]}"
check_eq "zs_migrate_isolate = zs_page_isolate() calls (fexit)" \
	"${c[tp_zs_migrate_isolate]}" "${c[fx_zs_page_isolate]}"
check_eq "zs_migrate_isolate isolated=1 = zs_page_isolate() returning true" \
	"${c[tp_zs_migrate_isolate_ok]}" "${c[fx_zs_page_isolate_ok]}"
check_gt0 "zs_migrate_begin fired" "${c[tp_zs_migrate_begin]}"
check_eq "zs_migrate_begin = zs_page_migrate() calls (fexit)" \
	"${c[tp_zs_migrate_begin]}" "${c[fx_zs_page_migrate]}"
check_eq "zs_migrate_end = zs_page_migrate() calls (fexit)" \
	"${c[tp_zs_migrate_end]}" "${c[fx_zs_page_migrate]}"
check_eq "zs_migrate_end result=busy = zs_page_migrate() returning -EBUSY" \
	"${c[tp_zs_migrate_busy]}" "${c[fx_zs_page_migrate_busy]}"
check_eq "zs_migrate_end result=freed = zs_page_migrate() on a page without zspage" \
	"${c[tp_zs_migrate_freed]}" "${c[fn_zs_page_migrate_no_zspage]}"
check_eq "zs_migrate_end success+freed = zs_page_migrate() returning 0" \
	"$(( c[tp_zs_migrate_success] + c[tp_zs_migrate_freed] ))" "${c[fx_zs_page_migrate_ok]}"
check_eq "zs_migrate_end names a pool exactly when the zspage exists" \
	"${c[tp_zs_migrate_pool_wrong]}" 0
check_gt0 "zs_migrate_end moved objects" "${c[tp_zs_migrate_objs]}"
check_eq "zs_migrate_end objects = allocated slots on the new pages (fexit walk)" \
	"${c[tp_zs_migrate_objs]}" "${c[fx_zs_page_migrate_objs]}"
hz0=$(hist_val zsmalloc/zs_migrate_end pool=zram0 hitcount)
hz1=$(hist_val zsmalloc/zs_migrate_end pool=zram1 hitcount)
check_gt0 "hist: zs_migrate_end for pool zram0" "$hz0"
check_gt0 "hist: zs_migrate_end for pool zram1" "$hz1"
check_gt0_or_skip "zs_migrate_end result=busy fired" "${c[tp_zs_migrate_busy]}" \
	"the reader never held a zspage that offlining migrated"
check_eq "zs_migrate_putback = zs_page_putback() calls (fentry)" \
	"${c[tp_zs_migrate_putback]}" "${c[fn_zs_page_putback]}"
check_gt0_or_skip "zs_migrate_putback fired" "${c[tp_zs_migrate_putback]}" \
	"no migration failed for good (busy pages are retried until they move)"
# Compaction: what mm_stat cannot say, checked against what it can.
check_gt0 "zs_compact_class freed pages" "${c[tp_zs_compact_class_pages_freed]}"
check_eq "zs_compact_class pages freed = zs_compact() and zs_shrinker_scan() returns (fexit)" \
	"${c[tp_zs_compact_class_pages_freed]}" "${c[fx_zs_compact_pages_freed]}"
check_gt0 "zs_compact_class migrated objects" "${c[tp_zs_compact_class_objs]}"
check_eq "zs_compact_class objects = obj_malloc() calls while compacting (fentry)" \
	"${c[tp_zs_compact_class_objs]}" "${c[fn_obj_malloc_compacting]}"
check_eq "hist: zs_compact_class pages freed for pool zram0 = its mm_stat pages_compacted" \
	"$(hist_val zsmalloc/zs_compact_class pool=zram0 nr_pages_freed)" "$zc0"
check_eq "hist: zs_compact_class pages freed for pool zram1 = its mm_stat pages_compacted" \
	"$(hist_val zsmalloc/zs_compact_class pool=zram1 nr_pages_freed)" "$zc1"
check_gt0 "zs_shrink fired (drop_caches)" "${c[tp_zs_shrink]}"
check_eq "zs_shrink = zs_shrinker_scan() calls (fexit)" \
	"${c[tp_zs_shrink]}" "${c[fx_zs_shrinker_scan]}"
check_eq "zs_shrink pages freed = zs_shrinker_scan() return values (fexit)" \
	"${c[tp_zs_shrink_pages_freed]}" "${c[fx_zs_shrinker_pages_freed]}"
check_gt0 "hist: zs_shrink freed pages of pool zram0" \
	"$(hist_val zsmalloc/zs_shrink pool=zram0 nr_pages_freed)"

echo "balloon:"
if [ "${PAGEMOVE_BALLOON:-0}" = 1 ]; then
	check_gt0 "virtio_balloon_batch_end inflated pfns" "${c[tp_vb_done_inflate]}"
	check_eq "virtio_balloon_batch_end op=inflate done = vmstat balloon_inflate" \
		"${c[tp_vb_done_inflate]}" "$inflated"
	check_eq "virtio_balloon_batch_end op=inflate done = pages balloon_page_list_enqueue() took + balloon_page_enqueue() calls (fexit, fentry)" \
		"${c[tp_vb_done_inflate]}" "$(( c[fx_balloon_page_list_enqueue] + c[fn_balloon_page_enqueue] ))"
	check_eq "virtio_balloon_batch_end op=deflate done = vmstat balloon_deflate" \
		"${c[tp_vb_done_deflate]}" "$deflated"
	check_eq "virtio_balloon_batch_end op=deflate done = leak_balloon() return values (fexit)" \
		"${c[tp_vb_done_deflate]}" "${c[fx_leak_balloon_pfns]}"
	check_eq "virtio_balloon_batch_end op=deflate = leak_balloon() calls (fexit)" \
		"${c[tp_vb_end_deflate]}" "${c[fx_leak_balloon]}"
	check_eq "hist: virtio_balloon_batch_end op=inflate done = vmstat balloon_inflate" \
		"$(hist_val virtio_balloon/virtio_balloon_batch_end op=0 done)" "$inflated"
	check_gt0 "virtio_balloon_batch_end op=migrate fired" "${c[tp_vb_end_migrate]}"
	check_eq "virtio_balloon_batch_end op=migrate = virtballoon_migratepage() returning 0 (fexit)" \
		"${c[tp_vb_end_migrate]}" "${c[fx_vb_migratepage_ok]}"
	check_eq "virtio_balloon_batch_end op=migrate = vmstat balloon_migrate" \
		"${c[tp_vb_end_migrate]}" "$bmigrated"
	check_eq "inflate-queue requests (fentry) = inflating batches + migrations" \
		"${c[fn_tell_host_ivq]}" "$(( c[tp_vb_end_inflate_some] + c[tp_vb_end_migrate] ))"
	check_eq "deflate-queue requests (fentry) = deflating batches + migrations" \
		"${c[fn_tell_host_dvq]}" "$(( c[tp_vb_end_deflate_some] + c[tp_vb_end_migrate] ))"
	check_eq "tell_host() calls = tell_host() returns (fentry, fexit)" \
		"$(( c[fn_tell_host_ivq] + c[fn_tell_host_dvq] ))" "${c[fx_tell_host]}"
	check_eq "virtio_balloon_tell_host_begin vq=inflate = buffers added to the inflate queue (fentry virtqueue_add_outbuf)" \
		"${c[tp_vb_tell_begin_ivq]}" "${c[fn_vb_add_outbuf_ivq]}"
	check_eq "virtio_balloon_tell_host_begin vq=deflate = buffers added to the deflate queue (fentry virtqueue_add_outbuf)" \
		"${c[tp_vb_tell_begin_dvq]}" "${c[fn_vb_add_outbuf_dvq]}"
	check_eq "virtio_balloon_tell_host_end = buffers the host used (fexit virtqueue_get_buf)" \
		"${c[tp_vb_tell_end]}" "${c[fx_vb_get_buf]}"
	check_eq "virtio_balloon_tell_host_begin buffers of more than 256 pfns" "${c[tp_vb_tell_over256]}" 0
	check_eq "balloon buffers longer than 256 pfns (fentry virtqueue_add_outbuf)" \
		"${c[fn_vb_add_outbuf_over256]}" 0
	# Sorted for coalescing hosts: read from the buffers themselves.
	check_eq "balloon buffers whose pfns do not ascend (fentry virtqueue_add_outbuf, the pfns read)" \
		"${c[fn_vb_add_outbuf_unsorted]}" 0
	check_eq "balloon pfns read from the buffers (fentry virtqueue_add_outbuf) = pfns acked (tell_host_end)" \
		"${c[fn_vb_add_outbuf_pfns]}" "$(( c[tp_vb_tell_pfns_ivq] + c[tp_vb_tell_pfns_dvq] ))"
	echo "  balloon buffers: ${c[fn_vb_add_outbuf_pfns]} pfns in ${c[fn_vb_add_outbuf_runs]} runs of contiguous pfns"
	check_eq "virtio_balloon_tell_host_end err != 0" "${c[tp_vb_tell_err]}" 0
	check_eq "pfns acked on the inflate queue = vmstat balloon_inflate + balloon_migrate" \
		"${c[tp_vb_tell_pfns_ivq]}" "$(( inflated + bmigrated ))"
	check_eq "pfns acked on the deflate queue = vmstat balloon_deflate + balloon_migrate" \
		"${c[tp_vb_tell_pfns_dvq]}" "$(( deflated + bmigrated ))"
	check_gt0 "virtio_balloon_target fired" "${c[tp_vb_target]}"
	check_gt0 "balloon_migrate fired" "${c[tp_balloon_migrate]}"
	check_eq "balloon_migrate result=0 = vmstat balloon_migrate" \
		"${c[tp_balloon_migrate_ok]}" "$bmigrated"
	check_eq "virtio_balloon_alloc_fail = balloon_page_alloc() returning NULL (fexit)" \
		"${c[tp_vb_alloc_fail]}" "${c[fx_balloon_page_alloc_null]}"
	check_gt0_or_skip "virtio_balloon_alloc_fail fired (squeeze)" "${c[tp_vb_alloc_fail]}" \
		"the squeeze never exhausted the guest's memory"
else
	skip "balloon and virtio_balloon events" "no balloon workload: PAGEMOVE_BALLOON not set"
fi
echo "events: $failed failed, $skipped skipped"
exit $failed
