#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host side of the balloon workload in tests/vm/events.sh: watch the VM's
# output for the guest's cues and drive QEMU's balloon over QMP with
# build/bin/balloonctl.
#   "pagemove: balloon ready"     -> shrink the guest by MIB, wait until done
#   "pagemove: balloon inflated"  -> give the memory back, wait until done
#   "pagemove: balloon squeeze"   -> ask for all but SQUEEZE_MIB (default
#                                    768) of the guest, wait until the
#                                    balloon stops growing (the driver
#                                    cannot allocate: balloonctl's result
#                                    "stalled", --stall 5; or "reached" if
#                                    the OOM killer took the guest's hog),
#                                    give it all back
#                                    (not with SQUEEZE_MIB=0)
# After the inflate and the deflate the guest prints its /proc/vmstat
# delta ("pagemove: balloon vmstat inflate|deflate PAGES"); each must equal
# the change of `actual` balloonctl reported (PASS:/FAIL: lines, counted by
# make check).  Prints what it did and how long each step took
# (balloonctl's wall time, CLOCK_MONOTONIC); exits non-zero when a step
# fails.  BALLOON_JSON=DIR keeps balloonctl's JSON of each step there.
#
# usage: tests/balloon-drive.sh QMP_SOCKET VM_LOG [MIB]
set -u
sock=$1 vmlog=$2 mib=${3:-512}
# 768 MiB of a 2 GiB guest: out of reach while events.sh's 640 MiB hog
# lives (the balloon would need 1280 MiB of the <= 1200 left beside the hog
# and the kernel), and once the OOM killer has taken the hog, its first
# choice, a guest the test still runs in.  256 MiB was reachable then too,
# and a driver that got there quickly made the OOM killer take a second
# process (ci3, and a patched run on 2026-12-04).
squeeze=${SQUEEZE_MIB:-768}
timeout=${BALLOON_TIMEOUT:-600}
failed=0

say() { printf 'balloon-drive: %s\n' "$*"; }
pass() { echo "PASS: balloon-drive: $1"; }
fail() { echo "FAIL: balloon-drive: $1: $2"; failed=$((failed + 1)); }

. "$(dirname "$0")/qmp.sh"
have_balloonctl || exit 1
wait_line() {
	local i
	for i in $(seq $((timeout * 2))); do
		grep -q "^$1" "$vmlog" 2>/dev/null && return 0
		sleep 0.5
	done
	say "timed out waiting for '$1'"
	return 1
}
# guest_delta inflate|deflate: the guest's vmstat delta line's PAGES.
guest_delta() {
	wait_line "pagemove: balloon vmstat $1 " || return 1
	sed -n "s/^pagemove: balloon vmstat $1 \([0-9]*\).*/\1/p" "$vmlog" | tail -n 1
}
# mib KEY: balloonctl's KEY in MiB (0 if it did not say).
mib() { local v; v=$(json_num "$1" "$j"); echo $(( ${v:-0} >> 20 )); }
# step NAME BYTES [OPTION...]: balloonctl set; its JSON in $j, exit in $rc.
j= rc=
step() {
	local name=$1
	shift
	j=$(balloon_set "$@")
	rc=$?
	[ -n "${BALLOON_JSON:-}" ] && printf '%s\n' "$j" >"$BALLOON_JSON/$name.json"
	say "$name: start $(mib start_actual) MiB, target $(( $1 >> 20 )) MiB," \
		"actual $(mib actual) MiB," \
		"$(json_result "$j") after $(( $(json_num wall_ns "$j" | grep . || echo 0) / 1000000 )) ms," \
		"$(grep -o '"t_ns"' <<<"$j" | wc -l) BALLOON_CHANGE events (exit $rc)"
}
# compare NAME inflate|deflate: balloonctl's change of actual = the guest's
# vmstat; an inflate moved the MIB asked, a deflate emptied the balloon
# (with deflate-on-oom the OOM notifier may have given some back before).
compare() {
	local want got s a whole
	got=$(guest_delta "$2") || { fail "$1" "no vmstat line from the guest"; return 1; }
	s=$(json_num start_actual "$j") a=$(json_num actual "$j")
	want=$(( (${s:-0} - ${a:-0}) / 4096 ))
	whole=$([ "$want" = $((mib * 256)) ] && echo 1)
	if [ "$2" = deflate ]; then
		want=$(( -want ))
		whole=$([ "${a:-0}" = "$full" ] && echo 1)
	fi
	if [ "$got" = "$want" ] && [ -n "$whole" ]; then
		pass "$1: balloonctl's actual moved $want pages = guest vmstat balloon_$2 +$got"
	else
		fail "$1" "balloonctl's actual moved $want pages, guest vmstat balloon_$2 +$got; asked $((mib * 256)) (inflate) or back to $((full >> 20)) MiB (deflate), actual $((${a:-0} >> 20)) MiB"
	fi
}

wait_line "pagemove: balloon ready" || exit 1
full=$(actual)
[ -n "$full" ] || { say "no answer from QMP at $sock"; exit 1; }
say "guest has $((full >> 20)) MiB; inflating by $mib MiB"
step inflate $((full - (mib << 20))) --timeout "$timeout"
[ "$rc" = 0 ] || { fail "inflate by $mib MiB" "balloonctl: $(json_result "$j") (exit $rc)"; exit 1; }
compare "inflate by $mib MiB" inflate
wait_line "pagemove: balloon inflated" || exit 1
say "deflating"
step deflate "$full" --timeout "$timeout"
[ "$rc" = 0 ] || { fail "deflate by $mib MiB" "balloonctl: $(json_result "$j") (exit $rc)"; exit 1; }
compare "deflate by $mib MiB" deflate

# squeeze: the target stays out of reach; the balloon has stopped growing
# when `actual` did not change for 5 s (balloonctl --stall 5: result
# stalled, exit 1), or it got there.  SQUEEZE_MIB=0: no squeeze.
[ "$squeeze" = 0 ] && exit $failed
wait_line "pagemove: balloon squeeze" || exit 1
say "squeezing the guest to $squeeze MiB"
step squeeze $((squeeze << 20)) --stall 5 --timeout "$timeout"
now=$(json_num actual "$j")
# The guest's OOM killer may take the hog (its first choice): then the
# balloon reaches the target, which is a stop too.
case $(json_result "$j") in
stalled|reached) ;;
*) now= ;;
esac
if [ -z "$now" ] || [ "$now" = "$full" ]; then
	fail "squeeze" "balloonctl: $(json_result "$j") at ${now:-?} bytes (exit $rc), want stalled or reached below $full"
	exit 1
fi
say "balloon stopped with the guest at $((now >> 20)) MiB; deflating"
step unsqueeze "$full" --timeout "$timeout"
[ "$rc" = 0 ] || { fail "deflate after the squeeze" "balloonctl: $(json_result "$j") (exit $rc)"; exit 1; }
exit $failed
