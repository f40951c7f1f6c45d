#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: zsstress drives zsmalloc through a hot-added zram device while
# it forces zspage migration (ZONE_MOVABLE blocks offlined and re-onlined,
# compact_memory, the zram compact file), with zsmigrate attached to the
# whole system and, as an independent count, tpcheck's fentry/fexit
# programs on zs_page_migrate().  One run per MODE:
#   clean    (stock, patched kernels): every read verified, zspages migrated
#            (tpcheck: zs_page_migrate() returning 0 on a page that still had
#            its zspage > 0), and zsmigrate saw
#            them, ran its checks (0 checks run is a FAIL) and reported no race;
#   zswap    (stock, patched): the same through zswap instead of zram:
#            zsstress --zswap swaps an anonymous mapping's pages out after
#            every write and read (MADV_PAGEOUT) to a swap device on a loop
#            device over tmpfs, with zswap on; zram devices are reset
#            first, so every zspage migrated is zswap's; zswpout and zswpin
#            must grow.  Before, zsstress must refuse to run with zswap off
#            and with no swap device;
#   control  (zsrace kernel, patches/testing): the same with the planted
#            race's delays (in zs_page_migrate() after the copy, at the end
#            of zs_obj_read_begin()), every lock held;
#   race     (zsrace kernel): the delays with zs_page_migrate() dropping its
#            locks early (planted_race=1): zsmigrate must report >= 1 race,
#            by a check made for it ($ZSRACE_CHECKS: stale_mapping, the
#            reader's address in the old page when it returns;
#            moved_under_reader, the handle moving before read_end); what
#            zsstress's own verification saw is printed (it reads the old
#            page, right until it is freed: it may or may not notice).
# PASS:/FAIL: lines; exit status: the number of failures.
#
# usage: zsstress.sh MODE...
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${PAGEMOVE_TOP:?}
out=${PAGEMOVE_OUT:?}
failed=0
. "$here/lib.sh"
B=$top/build/bin
Z=${ZSSTRESS:-$B/zsstress}	# another build: tests/vm/zsstress-plant.sh
# TCG is slow: a small device, two I/O threads, 15 s of mixed I/O.
ZS_ARGS=${ZSSTRESS_ARGS:--t 2 -s 15 -S 24 -i 50}
# The planted race and its control, the same workload.  A reader must look
# up an object of the page being migrated in the 2 ms the migration leaves
# it unlocked: the odds per lookup are one in the number of zspage pages,
# so the device is small, its pages compress well (text: dozens of objects
# per page; with every kind, a migrated page held 1.45 objects and the race
# showed once in 3600 migrations), the I/O is mostly reads, and offlining
# runs back to back, alone: compaction (compact_memory's scans; zram's,
# which waits for class->lock with pool->lock held, stalling every reader)
# would take the time.
# The race shows a few times in 20 s (1, 1, 6, 2, 2 reports in five runs:
# single-threaded TCG runs one vCPU at a time), so the race run lasts 45 s.
# (--hot 64, most reads on a few zspages, made it 0: those were busy.)
# zswap: 16 MiB of pages, each swapped out after every write and read;
# no zram compaction (there is no zram device).
ZSWAP_ARGS=${ZSWAP_ARGS:---zswap -t 2 -s 15 -S 16 -i 50 -F offline,compact}
ZSRACE_ARGS=${ZSRACE_ARGS:--t 2 -s 20 -S 8 --reads 90 --kinds text -F offline -i 0}
ZSRACE_SECONDS=${ZSRACE_SECONDS:-45}
# The checks of /work/helpers/zsmigrate-checks.md that the planted race
# (zsrace-2-migrate-unlock-early.patch) breaks: a reader holding the
# zspage read lock sees its handle move, inside zs_obj_read_begin() (its
# delay) or before zs_obj_read_end().
ZSRACE_CHECKS=${ZSRACE_CHECKS:-stale_mapping moved_under_reader}
ZSRACE_DELAY_US=${ZSRACE_DELAY_US:-2000}
P=/sys/module/zsmalloc/parameters
kernel=${PAGEMOVE_KERNEL:?}

# wait_line FILE PATTERN PID: until FILE has a line matching PATTERN
# (5 min), 1 if PID died first.
wait_line() {
	for _ in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.5
	done
	grep -q "$2" "$1" 2>/dev/null
}

# set_param NAME VALUE: a zsmalloc parameter of the zsrace kernel.
set_param() {
	if [ ! -w "$P/$1" ]; then
		fail "zsrace kernel: $P/$1 exists" "not there: is this the zsrace kernel?"
		return 1
	fi
	echo "$2" >"$P/$1" && [ "$(cat "$P/$1")" = "$2" ] ||
		{ fail "zsrace kernel: $1 set to $2" "reads '$(cat "$P/$1")'"; return 1; }
}

make_movable 5

ZSWAP_P=/sys/module/zswap/parameters
zswap_loop= zswap_img= zswap_was=
# zswap_setup: zsstress --zswap refuses a system where zswap is off or no
# swap is active (each a check); then every zram device is reset (its
# pool destroyed: the zspages left are zswap's), a swap device is made on
# a loop device over tmpfs and zswap is turned on.
# zswap_refused WHAT PATTERN: zsstress --zswap exits 1 saying PATTERN.
zswap_refused() {
	local o rc
	o=$("$Z" --zswap -F none -s 0 2>&1)
	rc=$?
	if [ $rc = 1 ] && grep -q "$2" <<<"$o"; then
		pass "zswap: zsstress --zswap with $1: exit 1, says so"
	else
		fail "zswap: zsstress --zswap with $1: exit 1, says so" "exit $rc: $(tail -n 2 <<<"$o")"
	fi
}
zswap_setup() {
	local d
	if [ ! -w $ZSWAP_P/enabled ]; then
		fail "zswap: $ZSWAP_P/enabled" "not there (CONFIG_ZSWAP?)"
		return 1
	fi
	zswap_was=$(cat $ZSWAP_P/enabled)
	echo N >$ZSWAP_P/enabled
	zswap_refused "zswap off" 'zswap is off'
	echo Y >$ZSWAP_P/enabled
	swapoff -a	# a test guest's: none, unless a mode before left one
	zswap_refused "no swap" 'no swap device is active'
	for d in /sys/block/zram*; do
		[ -e "$d/reset" ] && echo 1 >"$d/reset" 2>/dev/null
	done
	zswap_img=$(mktemp /dev/shm/zsstress-swap.XXXXXX) &&
		truncate -s 256M "$zswap_img" &&
		zswap_loop=$(losetup -f --show "$zswap_img") &&
		mkswap "$zswap_loop" >/dev/null && swapon "$zswap_loop" ||
		{ fail "zswap: a swap device on a loop device over tmpfs" "set-up failed"; return 1; }
	echo "zswap: on, swap on $zswap_loop, compressor $(cat $ZSWAP_P/compressor)"
}
zswap_teardown() {
	[ -n "$zswap_loop" ] && { swapoff "$zswap_loop"; losetup -d "$zswap_loop"; }
	[ -n "$zswap_img" ] && rm -f "$zswap_img"
	[ -n "$zswap_was" ] && echo "$zswap_was" >$ZSWAP_P/enabled
	zswap_loop= zswap_img= zswap_was=
}

# run_mode MODE
run_mode() {
	local mode=$1 tag=zsstress-$kernel-$1 zm zmpid=0 rc zrc=0 line vf moved
	local mig reports runs rruns rviol
	case $mode in
	clean) ;;
	zswap) zswap_setup || { zswap_teardown; return; } ;;
	control|race)
		set_param migrate_delay_us "$ZSRACE_DELAY_US" &&
			set_param read_delay_us "$ZSRACE_DELAY_US" &&
			set_param planted_race "$([ "$mode" = race ] && echo Y || echo N)" || return ;;
	*) fail "zsstress.sh: mode $mode" "unknown (clean, zswap, control, race)"; return ;;
	esac
	local args=$ZSRACE_ARGS
	[ "$mode" = clean ] && args=$ZS_ARGS
	[ "$mode" = zswap ] && args=$ZSWAP_ARGS
	[ "$mode" = race ] && args="$args -s $ZSRACE_SECONDS"
	echo "zsstress: $mode run on $kernel ($(uname -r)); zsstress $args"
	# The independent count, a program of its own: zs_page_migrate()
	# returns (fexit), those returning 0, and those that found no zspage
	# (fentry: freed while isolated, returns 0 without moving).
	if ! start_tpcheck "$tag.tp"; then
		fail "$mode: tpcheck attached" "$(tail -n 3 "$out/$tag.tp.log")"
		return
	fi
	zm=$out/$tag.zm
	if [ -x "$B/zsmigrate" ]; then
		"$B/zsmigrate" >"$zm" 2>"$zm.err" &
		zmpid=$!
		if ! wait_line "$zm.err" '^zsmigrate: ready' $zmpid; then
			fail "$mode: zsmigrate attached (ready line)" "$(tail -n 3 "$zm.err")"
			kill $zmpid 2>/dev/null
			zmpid=0
		fi
	else
		fail "$mode: zsmigrate built" "no $B/zsmigrate"
	fi
	"$Z" $args >"$out/$tag.txt" 2>&1
	rc=$?
	if [ $zmpid != 0 ]; then
		kill -INT $zmpid
		wait $zmpid
		zrc=$?
	fi
	kill -INT $tp
	wait $tp
	[ "$mode" = zswap ] && zswap_teardown
	if [ "$mode" = control ] || [ "$mode" = race ]; then
		set_param planted_race N
		set_param migrate_delay_us 0
		set_param read_delay_us 0
	fi
	sed 's/^/  /' "$out/$tag.txt" | grep -v 'VERIFY FAILED' | tail -n 8
	grep -m 5 'VERIFY FAILED' "$out/$tag.txt"
	line=$(grep '^zsstress: ops ' "$out/$tag.txt")
	vf=$(sed -n 's/.* verify_failures \([0-9]*\)$/\1/p' <<<"$line")
	unset c
	declare -A c
	while read -r k v; do c[$k]=$v; done <"$out/$tag.tp.txt"
	moved=$(( ${c[fx_zs_page_migrate_ok]:-0} - ${c[fn_zs_page_migrate_no_zspage]:-0} ))
	echo "  tpcheck: zs_page_migrate() calls ${c[fx_zs_page_migrate]:-?} returning 0 ${c[fx_zs_page_migrate_ok]:-?}" \
		"busy ${c[fx_zs_page_migrate_busy]:-?} no zspage ${c[fn_zs_page_migrate_no_zspage]:-?}" \
		"objects moved ${c[fx_zs_page_migrate_objs]:-?}"
	check_gt0 "$mode: zspages migrated under zsstress (tpcheck: zs_page_migrate() moved a page)" "$moved"
	if [ "$mode" = race ]; then
		# The oracle that does not trust the tracer: what it saw is
		# information, not the verdict (a lost write needs a writer in
		# the window; a reader of the old page reads the right bytes).
		echo "  zsstress on the planted race: exit $rc, verify_failures ${vf:-?}," \
			"read errors $(grep -c '^zsstress: read page .*: ' "$out/$tag.txt")"
	else
		check_eq "$mode: zsstress exit status" "$rc" 0
		check_eq "$mode: zsstress verification failures" "${vf:-none}" 0
	fi
	if [ "$mode" = zswap ]; then
		line=$(grep '^zsstress: zswap zswpout ' "$out/$tag.txt")
		check_gt0 "zswap: pages stored by zswap (vmstat zswpout)" \
			"$(sed -n 's/.* zswpout +\([0-9]*\) .*/\1/p' <<<"$line")"
		check_gt0 "zswap: pages loaded from zswap (vmstat zswpin)" \
			"$(sed -n 's/.* zswpin +\([0-9]*\) .*/\1/p' <<<"$line")"
	fi
	[ -s "$zm" ] || return
	sed 's/^/  zsmigrate: /' "$zm" | grep -v ': race: ' | tail -n 20
	grep -m 5 '^race: ' "$zm" | sed 's/^/  zsmigrate: /'
	# Program runs the kernel skipped (tools/tracer.c missed_runs()).
	grep 'WARNING' "$zm.err" | sed 's/^/  /'
	if [ "$mode" = race ]; then
		echo "  zsmigrate on the planted race: exit $zrc"
	else
		check_eq "$mode: zsmigrate exit status" "$zrc" 0
	fi
	mig=$(sed -n 's/^migrations: isolated [0-9]* migrated \([0-9]*\) .*/\1/p' "$zm")
	reports=$(sed -n 's/^race reports: \([0-9]*\)$/\1/p' "$zm")
	runs=$(awk '$1 == "check" && $3 == "runs" { r += $4 } END { print r + 0 }' "$zm")
	# Runs and violations of the checks made for the planted race.
	rruns=$(awk -v cs=" $ZSRACE_CHECKS " '$1 == "check" && index(cs, " " substr($2, 1, length($2) - 1) " ") &&
		$3 == "runs" { r += $4 } END { print r + 0 }' "$zm")
	rviol=$(awk -v cs=" $ZSRACE_CHECKS " '$1 == "check" && index(cs, " " substr($2, 1, length($2) - 1) " ") &&
		$5 == "violations" { v += $6 } END { print v + 0 }' "$zm")
	check_gt0 "$mode: zsmigrate saw zspages migrate" "${mig:-}"
	check_gt0 "$mode: zsmigrate ran its checks (runs, all checks)" "$runs"
	check_gt0 "$mode: zsmigrate ran $ZSRACE_CHECKS (runs)" "${rruns:-}"
	if [ "$mode" = race ]; then
		check_gt0 "race: zsmigrate reported the planted race" "${reports:-}"
		check_gt0 "race: the planted race caught by $ZSRACE_CHECKS (violations)" "${rviol:-}"
		echo "  zsmigrate: checks with violations: $(awk '$1 == "check" && $5 == "violations" && $6 > 0 { printf "%s %s ", $2, $6 }' "$zm")"
	else
		check_eq "$mode: zsmigrate race reports" "${reports:-none}" 0
	fi
}

for m in "$@"; do
	run_mode "$m"
	zswap_teardown	# also when the mode returned early (nothing if not zswap)
done
echo "zsstress.sh: $failed failed"
exit $failed
