#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host side, no VM: balloonctl (ASan/UBSan build) against a fake QEMU
# (tests/tools/fakeqmp.py) that behaves, then misbehaves in every way a
# QMP peer can: a reply cut off or never ended, garbage, huge and deeply
# nested lines, wrong types, error replies, replies to someone else, events
# between replies, a target never reached, a balloon that stops moving, the
# socket closing.  Each must end with the exit status and message wanted,
# within its time bound (an outer timeout catches a hang).  The changes
# balloonctl reports are compared with the events the fake server logged,
# and their times with the server's schedule.
# One "PASS: name" / "FAIL: name: why" line per check; exit status: the
# number of failures.
set -u
here=$(cd "$(dirname "$0")" && pwd)
B=${BALLOONCTL:-$here/../../build/unit/balloonctl}
failed=0
. "$here/../vm/lib.sh"
tmp=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT
sock=$tmp/qmp.sock
# A sanitizer report must not pass for balloonctl's own exit 1.
export ASAN_OPTIONS=exitcode=99:detect_leaks=1 UBSAN_OPTIONS=exitcode=98:print_stacktrace=1

if [ ! -x "$B" ]; then
	fail "balloonctl: built" "no $B (make $( [ -n "${BALLOONCTL:-}" ] || echo build/unit/balloonctl))"
	# --- tests/bench/balloon-speed-host.sh (make bench's stopwatch) ------------
# speed NAME WANT_RC PATTERN MIB: two rounds against the fake guest, which
# reaches targets down to 512 MiB only; the DONE file must appear either way.
speed() {
	local name=$1 want=$2 pat=$3
	echo 'pagemove: bench-balloon ready' >"$tmp/vm.log"
	rm -f "$sock" "$tmp/done"
	python3 "$here/fakeqmp.py" "$sock" guest "$tmp/log" &
	srv=$!
	out=$(BALLOONCTL=$B BALLOON_TIMEOUT=5 timeout 60 \
		bash "$here/../bench/balloon-speed-host.sh" "$sock" "$tmp/vm.log" t 2 "$4" "$tmp/done" 2>&1)
	rc=$?
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	srv=
	if [ "$rc" = "$want" ] && grep -qE -- "$pat" <<<"$(tr '\n' ' ' <<<"$out")" && [ -f "$tmp/done" ]; then
		pass "$name (exit $rc)"
	else
		fail "$name" "exit $rc (want $want), done file: $([ -f "$tmp/done" ] && echo yes || echo no), output: $(tail -c 600 <<<"$out")"
	fi
}
speed "balloon-speed-host: 2 rounds, one line per inflate and deflate" 0 \
	'^bench-balloon config=t round=1 op=inflate ms=[0-9]+\.[0-9] changes=[0-9]+ bench-balloon config=t round=1 op=deflate ms=[0-9.]+ changes=[0-9]+ bench-balloon config=t round=2 op=inflate .* round=2 op=deflate ms=[0-9.]+ changes=[0-9]+ $' 256
speed "balloon-speed-host: a target the guest never reaches is an error" 1 \
	'balloon-speed-host: inflate round 1: .*"result":"(stalled|timeout)"' 900

echo "balloonctl fake QMP: $failed failed"
	exit $failed
fi

out= rc= secs=
# session SCENARIO ARGS...: balloonctl against the fake server; sets out, rc, secs.
session() {
	local scenario=$1 t0
	shift
	rm -f "$sock" "$tmp/log"
	if [ "$scenario" != none ]; then	# none: no server, no socket
		python3 "$here/fakeqmp.py" "$sock" "$scenario" "$tmp/log" &
		srv=$!
		# the deadline tests time balloonctl, not python's start
		for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	fi
	t0=$(date +%s%N)
	out=$(timeout 30 "$B" -s "$sock" "$@" 2>&1)
	rc=$?
	secs=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ -n "$srv" ]; then
		kill $srv 2>/dev/null
		wait $srv 2>/dev/null
	fi
	srv=
}

# expect NAME SCENARIO WANT_RC PATTERN MAX_MS ARGS...
expect() {
	local name=$1 scenario=$2 want=$3 pat=$4 max=$5
	shift 5
	session "$scenario" "$@"
	if [ "$rc" = 124 ]; then
		fail "$name" "hung (killed after 30 s)"
	elif grep -qE 'runtime error|Sanitizer' <<<"$out"; then
		fail "$name" "sanitizer: $(grep -E -m1 'runtime error|Sanitizer' <<<"$out")"
	elif [ "$rc" != "$want" ] || ! grep -qE -- "$pat" <<<"$out"; then
		fail "$name" "exit $rc (want $want), output: $(head -c 400 <<<"$out")"
	elif [ "$secs" -gt "$max" ]; then
		fail "$name" "took $secs ms, more than $max"
	else
		pass "$name (exit $rc, $secs ms)"
	fi
}

M=$((1 << 20))
# --- a well-behaved QEMU ---------------------------------------------------
expect "caps: version and capabilities" reach 0 '^qemu 7\.2\.22 \(Debian .*\)$' 5000 caps
expect "caps --json" reach 0 '^\{"qemu":\{"major":7,"minor":2,"micro":22\},"package":"Debian [^"]*","capabilities":\["oob"\]\}$' 5000 --json caps
expect "query: actual" reach 0 '^actual 1073741824 bytes 1024 MiB$' 5000 query
expect "query --json" reach 0 '^\{"actual":1073741824\}$' 5000 --json query
expect "set: reached, 4 changes" reach 0 \
	'^balloon: target 768 MiB actual 768 MiB result reached wall 0\.[0-9]{6} s changes 4$' 5000 set 768M
grep -q '^change +0\.[0-9]* s actual 960 MiB$' <<<"$out" && pass "set: each change printed as it comes" ||
	fail "set: each change printed as it comes" "$(head -c 300 <<<"$out")"

# --json: the changes are the server's events, in order, timed by its
# schedule (every 0.1 s from the balloon reply); start and end are its
# query-balloon answers.
for scenario in reach split interleave; do
	session $scenario --json set 768M
	cp "$tmp/log" "$tmp/log.$scenario" 2>/dev/null
	why=$(python3 - "$tmp/log" "$out" "$scenario" <<'EOF'
import json, sys
log = [l.split() for l in open(sys.argv[1])]
events = [int(v) for k, v in log if k == "event"]
queries = [int(v) for k, v in log if k == "query"]
r = json.loads(sys.argv[2].splitlines()[-1])
M = 1 << 20
got = [c["actual"] for c in r["changes"]]
t = [c["t_ns"] for c in r["changes"]]
problems = []
if got != events:
    problems.append("changes %s != server events %s" % (got, events))
if r["start_actual"] != 1024 * M or len(queries) != 2 or r["start_actual"] != queries[0]:
    problems.append("start_actual %s, server answered %s" % (r["start_actual"], queries))
if r["actual"] != queries[-1] or r["actual"] != 768 * M or r["target"] != 768 * M:
    problems.append("actual %s target %s, server's last answer %s" % (r["actual"], r["target"], queries[-1]))
if r["result"] != "reached":
    problems.append("result " + r["result"])
if t != sorted(t) or not t or r["wall_ns"] != t[-1]:
    problems.append("times %s, wall %s" % (t, r["wall_ns"]))
# the server sends the last event 0.4 s after its reply
elif not (0.35e9 <= t[-1] <= 1.5e9):
    problems.append("last change at %.3f s, the server sent it at 0.4 s" % (t[-1] / 1e9))
print("; ".join(problems))
EOF
)
	if [ "$rc" = 0 ] && [ -z "$why" ]; then
		pass "set --json ($scenario): changes = the server's events, times = its schedule"
	else
		fail "set --json ($scenario): changes = the server's events, times = its schedule" \
			"exit $rc: ${why:-$(head -c 300 <<<"$out")}"
	fi
done
# QEMU holds BALLOON_CHANGE back up to 1 s (rate limit): --poll sees the
# target reached when query-balloon does (0.4 s), events alone 1 s later.
# The window ends before the held-back event, with room for a loaded host.
expect "set --poll 50: reached when query-balloon says so" throttle 0 \
	'result reached wall 0\.(3[5-9]|[4-8])[0-9]* s changes 4$' 5000 --poll 50 set 768M
grep -q '^change +0\.[0-9]* s actual 768 MiB (query)$' <<<"$out" &&
	pass "set --poll: the change is marked (query)" ||
	fail "set --poll: the change is marked (query)" "$(head -c 300 <<<"$out")"
expect "set without --poll: reached at the held-back event" throttle 0 \
	'result reached wall 1\.[0-9]* s changes 1$' 5000 set 768M
expect "set: already at the target, reached at once" reach 0 \
	'result reached wall 0\.[0-9]* s changes 0$' 5000 set 1G
expect "set --no-wait: result sent" reach 0 'result sent wall' 5000 --no-wait set 512M

# --- a target never reached --------------------------------------------------
expect "set: the balloon stops half way: stalled, last actual" never 1 \
	'balloon: target 512 MiB actual 768 MiB result stalled wall 1\.[0-9]* s changes 2' 4000 \
	--stall 1 set 512M
grep -q 'stalled: the guest is at 768 MiB, target 512 MiB; no change for 1 s' <<<"$out" &&
	pass "stalled: the message says where the guest is" ||
	fail "stalled: the message says where the guest is" "$(head -c 300 <<<"$out")"
expect "set: events keep coming with the same actual: stalled" repeat 1 \
	'target 512 MiB actual 768 MiB result stalled wall 1\.[0-9]* s' 4000 --stall 1 set 512M
expect "set: the balloon moves but too slowly: timeout" slow 1 \
	'result timeout wall 1\.[0-9]* s changes ([89]|1[0-2])$' 4000 --timeout 1 --stall 5 set 512M
expect "set --json: timeout with the last actual" slow 1 \
	'"actual":10[0-9]{8},"result":"timeout"' 4000 --json --timeout 0.6 set 512M

# --- QEMU refuses or the socket goes away ------------------------------------
expect "balloon refused: QEMU's error, exit 1" error 1 \
	'balloon: QEMU says DeviceNotActive: No balloon device has been activated' 5000 set 512M
expect "socket closes mid-reply" close-mid 1 \
	'closed in the middle of a message: 17 bytes at offset [0-9]+ with no end of line' 5000 set 512M
expect "socket closes while waiting for the balloon: last actual" close-after 1 \
	'QMP socket closed by QEMU at offset [0-9]+; last actual 768 MiB after 1 changes' 5000 set 512M
expect "socket closes while waiting: --json says error" close-after 1 \
	'"actual":805306368,"result":"error"' 5000 --json set 512M
expect "a whole reply without its end of line, then EOF: truncated" no-newline 1 \
	'closed in the middle of a message: [0-9]+ bytes at offset' 5000 query
expect "no socket: connect gives up at the deadline" none 1 \
	'cannot connect to .*: No such file or directory \(gave up' 3000 -r 1 query
expect "no greeting: deadline" silent 1 'no greeting from QEMU before the deadline' 3000 -r 1 query
expect "a greeting that never ends: deadline" trickle 1 \
	'no greeting .*deadline passed with [0-9]+ bytes of an unfinished message at offset 0' 3000 -r 1 query
expect "first message not a greeting" not-greeting 1 'is not QMP.s greeting' 5000 query
expect "no reply to qmp_capabilities: deadline" no-caps-reply 1 \
	'no reply to qmp_capabilities before the deadline' 3000 -r 1 query
expect "a reply that never ends: deadline" trickle-reply 1 \
	'no reply to query-balloon before the deadline \(deadline passed with [0-9]+ bytes' 3000 -r 1 query

# --- garbage -------------------------------------------------------------------
expect "garbage reply: bad JSON with its offset" garbage 1 \
	"bad JSON in the message at offset [1-9][0-9]*, its byte 7: '\[' or '\{' expected near 'garbage'" 5000 query
expect "a 2 MiB line: refused at 1 MiB" huge 1 'longer than 1048576 bytes' 5000 query
expect "200000 nested arrays: refused, no crash" deep 1 'bad JSON .*maximum parsing depth' 5000 query
expect "an array, not an object" array 1 'is a JSON array, not an object' 5000 query
expect "duplicate keys" dup 1 'bad JSON .*duplicate object key' 5000 query
expect "actual is a string" wrong-type 1 '"actual" is a string, not an integer' 5000 query
expect "actual too big for 64 bits" big-int 1 'bad JSON .*too big integer' 5000 query
expect "a reply to another id" wrong-id 1 'not to our query-balloon \(id pm-2\): another id' 5000 query
expect "a reply without id" no-id 1 'not to our query-balloon \(id pm-2\): no id' 5000 query
expect "an error reply of the wrong shape" bad-error 1 'error reply at offset [0-9]+ is not \{"class"' 5000 query
expect "return and event in one message" both 1 'has both "return" and "event"' 5000 query
expect "BALLOON_CHANGE with a string actual" wrong-event 1 \
	'BALLOON_CHANGE at offset [0-9]+: "actual" is a string, not an integer' 5000 set 512M
expect "BALLOON_CHANGE with a negative actual" negative-event 1 '"actual" is negative' 5000 set 512M
expect "BALLOON_CHANGE with a real actual" real-event 1 '"actual" is a real number' 5000 set 512M
expect "a reply nobody asked for" stray-reply 1 'unexpected reply at offset [0-9]+: no command is waiting' 5000 set 512M
expect "a NUL in an event: bad JSON, last actual" event-garbage 1 \
	'bad JSON in the message at offset [0-9]+.*; last actual 768 MiB after 1 changes' 5000 set 512M

# --- tests/balloon-drive.sh on balloonctl, against a fake guest ------------
# The VM log holds every cue and the guest's vmstat deltas at once; the
# fake guest reaches targets down to 512 MiB and runs out of pages half
# way below that (the squeeze).  A wrong vmstat delta must fail.
# drive NAME WANT_RC PATTERN INFLATE_PAGES DEFLATE_PAGES SQUEEZE_MIB
drive() {
	local name=$1 want=$2 pat=$3
	printf 'pagemove: balloon %s\n' ready "vmstat inflate $4" inflated "vmstat deflate $5" \
		squeeze >"$tmp/vm.log"
	rm -f "$sock"
	python3 "$here/fakeqmp.py" "$sock" guest "$tmp/log" &
	srv=$!
	out=$(BALLOONCTL=$B SQUEEZE_MIB=$6 BALLOON_TIMEOUT=20 timeout 60 \
		bash "$here/../balloon-drive.sh" "$sock" "$tmp/vm.log" 512 2>&1)
	rc=$?
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	srv=
	if [ "$rc" = "$want" ] && grep -qE -- "$pat" <<<"$out"; then
		pass "$name (exit $rc)"
	else
		fail "$name" "exit $rc (want $want), output: $(tail -c 600 <<<"$out")"
	fi
}
drive "balloon-drive: inflate, deflate, vmstat = balloonctl, squeeze stalls" 0 \
	'PASS: balloon-drive: deflate by 512 MiB: balloonctl.s actual moved 131072 pages = guest vmstat balloon_deflate \+131072' \
	131072 131072 256
grep -q 'balloon stopped with the guest at 640 MiB; deflating' <<<"$out" &&
	pass "balloon-drive: the squeeze ends stalled, with the last actual" ||
	fail "balloon-drive: the squeeze ends stalled, with the last actual" "$(tail -c 300 <<<"$out")"
drive "balloon-drive: a vmstat delta that disagrees with balloonctl fails" 1 \
	'FAIL: balloon-drive: deflate by 512 MiB: balloonctl.s actual moved 131072 pages, guest vmstat balloon_deflate \+131071' \
	131072 131071 0

# --- tests/bench/balloon-speed-host.sh (make bench's stopwatch) ------------
# speed NAME WANT_RC PATTERN MIB: two rounds against the fake guest, which
# reaches targets down to 512 MiB only; the DONE file must appear either way.
speed() {
	local name=$1 want=$2 pat=$3
	echo 'pagemove: bench-balloon ready' >"$tmp/vm.log"
	rm -f "$sock" "$tmp/done"
	python3 "$here/fakeqmp.py" "$sock" guest "$tmp/log" &
	srv=$!
	out=$(BALLOONCTL=$B BALLOON_TIMEOUT=5 timeout 60 \
		bash "$here/../bench/balloon-speed-host.sh" "$sock" "$tmp/vm.log" t 2 "$4" "$tmp/done" 2>&1)
	rc=$?
	kill $srv 2>/dev/null
	wait $srv 2>/dev/null
	srv=
	if [ "$rc" = "$want" ] && grep -qE -- "$pat" <<<"$(tr '\n' ' ' <<<"$out")" && [ -f "$tmp/done" ]; then
		pass "$name (exit $rc)"
	else
		fail "$name" "exit $rc (want $want), done file: $([ -f "$tmp/done" ] && echo yes || echo no), output: $(tail -c 600 <<<"$out")"
	fi
}
speed "balloon-speed-host: 2 rounds, one line per inflate and deflate" 0 \
	'^bench-balloon config=t round=1 op=inflate ms=[0-9]+\.[0-9] changes=[0-9]+ bench-balloon config=t round=1 op=deflate ms=[0-9.]+ changes=[0-9]+ bench-balloon config=t round=2 op=inflate .* round=2 op=deflate ms=[0-9.]+ changes=[0-9]+ $' 256
speed "balloon-speed-host: a target the guest never reaches is an error" 1 \
	'balloon-speed-host: inflate round 1: .*"result":"(stalled|timeout)"' 900

echo "balloonctl fake QMP: $failed failed"
exit $failed
