#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host side of the balloon workload in tests/vm/events.sh: watch the VM's
# output for the guest's cues and drive QEMU's balloon over QMP.
#   "pagemove: balloon ready"     -> shrink the guest by MIB, wait until done
#   "pagemove: balloon inflated"  -> give the memory back, wait until done
#   "pagemove: balloon squeeze"   -> ask for all but SQUEEZE_MIB (default
#                                    256) of the guest, wait until the
#                                    balloon stops growing (the driver
#                                    cannot allocate), give it all back
#                                    (not with SQUEEZE_MIB=0)
# Prints what it did and how long each step took; exits non-zero when a
# step fails.
#
# usage: tests/balloon-drive.sh QMP_SOCKET VM_LOG [MIB]
set -u
sock=$1 vmlog=$2 mib=${3:-512}
squeeze=${SQUEEZE_MIB:-256}
timeout=${BALLOON_TIMEOUT:-600}

say() { printf 'balloon-drive: %s\n' "$*"; }

. "$(dirname "$0")/qmp.sh"
wait_line() {
	local i
	for i in $(seq $((timeout * 2))); do
		grep -q "^$1" "$vmlog" 2>/dev/null && return 0
		sleep 0.5
	done
	say "timed out waiting for '$1'"
	return 1
}
# balloon_to BYTES: set the target, wait until the guest reached it.
balloon_to() {
	local start i now
	start=$(date +%s%N)
	qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$1}}" >/dev/null
	for i in $(seq $((timeout * 4))); do
		now=$(actual)
		if [ "$now" = "$1" ]; then
			say "guest at $(($1 >> 20)) MiB after $(( ($(date +%s%N) - start) / 1000000 )) ms"
			return 0
		fi
		sleep 0.25
	done
	say "guest did not reach $(($1 >> 20)) MiB (at ${now:-?} bytes)"
	return 1
}

wait_line "pagemove: balloon ready" || exit 1
full=$(actual)
[ -n "$full" ] || { say "no answer from QMP at $sock"; exit 1; }
say "guest has $((full >> 20)) MiB; inflating by $mib MiB"
balloon_to $((full - (mib << 20))) || exit 1
wait_line "pagemove: balloon inflated" || exit 1
say "deflating"
balloon_to "$full" || exit 1

# squeeze: the target stays out of reach; the balloon has stopped growing
# when `actual` did not change for 5 s.  SQUEEZE_MIB=0: no squeeze.
[ "$squeeze" = 0 ] && exit 0
wait_line "pagemove: balloon squeeze" || exit 1
say "squeezing the guest to $squeeze MiB"
qmp "{\"execute\":\"balloon\",\"arguments\":{\"value\":$((squeeze << 20))}}" >/dev/null
last= same=0
for i in $(seq $((timeout * 4))); do
	now=$(actual)
	if [ -n "$now" ] && [ "$now" = "$last" ] && [ "$now" != "$full" ]; then
		same=$((same + 1))
	else
		same=0
	fi
	last=$now
	[ $same -ge 20 ] && break
	sleep 0.25
done
[ $same -ge 20 ] || { say "the balloon never stopped growing (at ${now:-?} bytes)"; exit 1; }
say "balloon stopped with the guest at $((now >> 20)) MiB; deflating"
balloon_to "$full" || exit 1
