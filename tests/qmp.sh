# SPDX-License-Identifier: GPL-2.0
# Sourced by the host-side balloon drivers (tests/balloon-drive.sh,
# tests/bench/balloon-host.sh): QMP over $sock with socat.

# qmp JSON...: one session: capabilities, then each command; prints replies.
qmp() {
	{
		echo '{"execute":"qmp_capabilities"}'
		for c in "$@"; do echo "$c"; done
		sleep 0.3
	} | socat -t 2 - "UNIX-CONNECT:$sock" 2>/dev/null
}

# actual: the balloon's "actual" (bytes of guest memory) from query-balloon.
actual() {
	qmp '{"execute":"query-balloon"}' |
		sed -n 's/.*"return": *{ *"actual": *\([0-9]*\).*/\1/p' | head -n1
}
