# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest-side tests: PASS:/FAIL: lines for the host to count.
failed=${failed:-0}
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; failed=$((failed + 1)); }
# check NAME GOT WANT: pass if equal.
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1" "got '$2', want '$3'"; fi
}
# check_gt0 NAME VALUE
check_gt0() {
	if [ "${2:-0}" -gt 0 ] 2>/dev/null; then pass "$1 ($2)"; else fail "$1" "got '${2:-}', want > 0"; fi
}
# start_tpcheck NAME: run tpcheck in the background, counts to
# $out/NAME.txt and its output to $out/NAME.log; its pid in $tp.  Returns
# once it is ready (it attaches slowly under TCG), 1 if it died first.
start_tpcheck() {
	rm -f "$out/$1.txt"
	"$top/build/bin/tpcheck" -o "$out/$1.txt" >"$out/$1.log" 2>&1 &
	tp=$!
	for _ in $(seq 600); do
		grep -q '^tpcheck: ready' "$out/$1.log" && return 0
		kill -0 $tp 2>/dev/null || break
		sleep 0.5
	done
	grep -q '^tpcheck: ready' "$out/$1.log"
}
# vmstat KEY: the /proc/vmstat counter KEY.
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
# memtotal: MemTotal in kB.
memtotal() { awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo; }
# wait_vmstat KEY BASE DELTA: until KEY has grown by DELTA from BASE (5 min).
wait_vmstat() {
	for _ in $(seq 600); do
		[ $(( $(vmstat "$1") - $2 )) -ge "$3" ] && return 0
		sleep 0.5
	done
	return 1
}
# make_movable N: the top N memory blocks become ZONE_MOVABLE (offlined,
# then onlined movable; blocks already there are cycled again), listed in
# the array "movable".  zsmalloc's movable allocations go there first, and
# offlining such a block migrates every zspage in it: deterministic, where
# memory compaction reaches zspages only by luck.
make_movable() {
	local b M=/sys/devices/system/memory
	movable=()
	for b in $(ls -d $M/memory[0-9]* | sort -V | tail -n "$1"); do
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
}

# plant_caught LABEL RC OUTPUT PATTERN: a run with a planted bug must fail
# (RC != 0) with a FAIL: line matching the extended regex PATTERN, the
# line of the check that guards against that bug.
plant_caught() {
	local hit
	hit=$(grep '^FAIL: ' <<<"$3" | grep -E -- "$4" | head -n 1)
	if [ "$2" != 0 ] && [ -n "$hit" ]; then
		pass "$1 caught: ${hit:0:160}"
	else
		fail "$1 caught" "exit $2, FAIL lines: $(grep '^FAIL' <<<"$3" | head -n 3 | tr '\n' ' ')"
	fi
}
