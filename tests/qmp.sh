# SPDX-License-Identifier: GPL-2.0
# Sourced by the host-side balloon drivers (tests/balloon-drive.sh,
# tests/bench/balloon-host.sh): QEMU's balloon over the QMP socket $sock
# with build/bin/balloonctl (BALLOONCTL to override).
BALLOONCTL=${BALLOONCTL:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/bin/balloonctl}

# have_balloonctl: true if it is built, else says so (exit 1 is the caller's).
have_balloonctl() {
	[ -x "$BALLOONCTL" ] && return 0
	echo "no $BALLOONCTL (make balloonctl)" >&2
	return 1
}

# actual: the balloon's "actual" (bytes of guest memory) from query-balloon;
# nothing (and balloonctl's message on stderr) if QMP fails.
actual() {
	"$BALLOONCTL" -s "$sock" --json query | sed -n 's/^{"actual":\([0-9]*\)}$/\1/p'
}

# balloon_set BYTES [OPTION...]: set the target and follow the balloon
# (balloonctl set); prints its JSON object, returns its exit status.
balloon_set() {
	local v=$1
	shift
	"$BALLOONCTL" -s "$sock" --json "$@" set "$v"
}

# json_num KEY JSON: the number KEY of balloonctl's JSON object.
json_num() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$2"; }
# json_result JSON: its result.
json_result() { sed -n 's/.*"result":"\([a-z]*\)".*/\1/p' <<<"$1"; }
