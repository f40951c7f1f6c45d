#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side, both kernels: migratevma against hmmbench.
#  - the pages the tracer counts as migrated equal the page counts the
#    test_hmm ioctls return to hmmbench, exactly (4 KiB pages);
#  - every migration has all its stage times, and their total never
#    exceeds hmmbench's own timing of the ioctls;
#  - the driver failing one page per migration (--fail-alloc) shows as
#    reason no_dst_page with that many pages on the patched kernel, and as
#    "unavailable" (not zero) on the stock one; a page a pipe holds (--pin)
#    as extra_refs; untouched pages (--holes) as reason hole;
#  - pagemove reads the tracer's log back: the same stage counts and
#    total, one timeline slice per stage of each migration;
#  - bad input gives a message and a non-zero exit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${PAGEMOVE_TOP:?}
out=${PAGEMOVE_OUT:?}/migratevma-${PAGEMOVE_KERNEL:?}
failed=0
. "$here/lib.sh"
B=$top/build/bin
mkdir -p "$out"
cd /tmp || exit 1

# json FILE EXPR: evaluate a Python expression over the JSON summary j.
json() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# run NAME MIGRATEVMA-ARGS -- HMMBENCH-ARGS: JSON to $out/NAME.json, hmmbench to NAME.txt
run() {
	local name=$1
	shift
	"$B/migratevma" -j -w "$out/$name.log" "$@" >"$out/$name.out" 2>"$out/$name.err"
	local rc=$?
	grep '^{' "$out/$name.out" >"$out/$name.json"
	grep -v '^{' "$out/$name.out" >"$out/$name.txt"
	return $rc
}

# 1. 16 MiB of 4 KiB pages, 3 rounds: 2 directions x 3 x 8 calls of 512 pages.
if run plain -- "$B/hmmbench" -s 16 -r 3; then
	pass "migratevma traced hmmbench ($(json "$out/plain.json" 'j["hooks"]'))"
else
	fail "migratevma traced hmmbench" "$(tail -n 3 "$out/plain.err")"
fi
bench_pages=$(awk -F'pages=' '/^hmmbench: round=/ { split($2, a, " "); s += a[1] } END { print s + 0 }' "$out/plain.txt")
bench_ns=$(awk -F'ns=' '/^hmmbench: round=/ { s += $2 } END { printf "%d", s }' "$out/plain.txt")
check_eq "pages migrated (tracer) = pages the ioctls reported (hmmbench)" \
	"$(json "$out/plain.json" 'j["pages"]["migrated"]')" "$bench_pages"
check_eq "migrations seen: 2 directions x 3 rounds x 8 calls of 512 pages" \
	"$(json "$out/plain.json" 'j["migrations"]')" 48
check_eq "every migration has all its stage times" \
	"$(json "$out/plain.json" 'sorted(set(s["count"] for s in j["stages_ns"].values()))')" "[48]"
total=$(json "$out/plain.json" 'sum(j["stages_ns"][s]["sum"] for s in ("collect","unmap","copy","pages","map","finalize"))')
if [ "$total" -gt 0 ] && [ "$total" -le "$bench_ns" ]; then
	pass "stage times ($total ns) within hmmbench's ioctl time ($bench_ns ns)"
else
	fail "stage times within hmmbench's ioctl time" "$total ns > $bench_ns ns"
fi
check_eq "stages add up to each migration's total" \
	"$total" "$(json "$out/plain.json" 'j["stages_ns"]["total"]["sum"]')"
check_eq "no events lost" "$(json "$out/plain.json" 'j["lost_events"]')" 0
if [ "$(head -c 8 "$out/plain.log" | od -An -c | tr -d ' ')" = 'PMVLOG\r\n' ] &&
   [ "$(stat -c %s "$out/plain.log")" -gt 256 ]; then
	pass "event log written ($(stat -c %s "$out/plain.log") bytes)"
else
	fail "event log written" "$(od -An -c -N 8 "$out/plain.log")"
fi
# The log read back by pagemove: the in-kernel histograms it carries, and
# one slice per stage of each migration from the ring-buffer events.
"$B/pagemove" report --json "$out/plain.log" >"$out/plain-report.json" 2>"$out/plain-report.err" ||
	fail "pagemove report of the log" "$(cat "$out/plain-report.err")"
check_eq "pagemove report: each stage 48 times, from the log's histograms" \
	"$(json "$out/plain-report.json" 'sorted(set(s["count"] for s in j["stages"]))')" "[48]"
check_eq "pagemove report: the log's total equals the tracer's" \
	"$(json "$out/plain-report.json" '[s["sum_ns"] for s in j["stages"] if s["name"] == "total"][0]')" \
	"$(json "$out/plain.json" 'j["stages_ns"]["total"]["sum"]')"
"$B/pagemove" timeline "$out/plain.log" -o "$out/plain-timeline.json" 2>/dev/null ||
	fail "pagemove timeline of the log" "exit $?"
check_eq "pagemove timeline: 6 stage slices per migration" \
	"$(json "$out/plain-timeline.json" 'len(j["traceEvents"])')" $((48 * 6))

# 2. One device page allocation fails per migration to the device.
run failalloc -- "$B/hmmbench" -s 8 -r 2 --fail-alloc ||
	fail "migratevma traced hmmbench --fail-alloc" "$(tail -n 3 "$out/failalloc.err")"
if [ "$PAGEMOVE_KERNEL" = patched ]; then
	check_eq "reason no_dst_page: one page per round" \
		"$(json "$out/failalloc.json" 'j["reasons_pages"]["no_dst_page"]')" 2
	run pin -- "$B/hmmbench" -s 8 -r 2 --pin ||
		fail "migratevma traced hmmbench --pin" "$(tail -n 3 "$out/pin.err")"
	check_eq "reason extra_refs: the page a pipe holds, once per round" \
		"$(json "$out/pin.json" 'j["reasons_pages"]["extra_refs"]')" 2
	run holes -- "$B/hmmbench" -s 8 -r 1 --holes ||
		fail "migratevma traced hmmbench --holes" "$(tail -n 3 "$out/holes.err")"
	check_eq "reason hole: the 1024 untouched pages" \
		"$(json "$out/holes.json" 'j["reasons_pages"]["hole"]')" 1024
else
	check_eq "reasons reported as unavailable, not as zero" \
		"$(json "$out/failalloc.json" 'j["reasons_pages"]')" None
	grep -q 'reasons: unavailable on this kernel' <("$B/migratevma" -- /bin/true 2>&1) &&
		pass "the table says reasons are unavailable" ||
		fail "the table says reasons are unavailable" "no such line"
	"$B/migratevma" -H tp_btf -- /bin/true >"$out/notp.txt" 2>&1
	rc=$?
	if [ $rc != 0 ] && grep -q 'not in this kernel' "$out/notp.txt"; then
		pass "-H tp_btf on a kernel without the series: clear error (exit $rc)"
	else
		fail "-H tp_btf without the series" "exit $rc: $(cat "$out/notp.txt")"
	fi
fi

# 3. Bad input.
bad() {	# bad NAME PATTERN CMD...
	local name=$1 pat=$2 o rc
	shift 2
	o=$("$@" 2>&1)
	rc=$?
	if [ $rc != 0 ] && grep -qE -- "$pat" <<<"$o"; then
		pass "$name (exit $rc)"
	else
		fail "$name" "exit $rc: $o"
	fi
}
bad "migratevma: unknown option" "unrecognized option" "$B/migratevma" --bogus
bad "migratevma: garbage interval" "invalid interval" "$B/migratevma" 1x
bad "migratevma: bad hook mode" "invalid hook mode" "$B/migratevma" -H magic
bad "migratevma: not root" "needs root" setpriv --reuid=65534 --regid=65534 --clear-groups "$B/migratevma"
bad "hmmbench: zero size" "invalid size" "$B/hmmbench" -s 0
bad "hmmbench: missing device" "cannot open /nonexistent" "$B/hmmbench" -d /nonexistent
exit $failed
