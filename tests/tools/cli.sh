#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host side, no VM: the command-line conventions of every tool in
# build/bin (README, "Exit codes"): -h and --help print usage and exit 0,
# --help has EXAMPLES, a usage error exits 2 (125 for a tracer given
# -- CMD, so it is not taken for CMD's status), not being root exits 1
# (125 with -- CMD) and CMD never runs then; pmstat's medians against
# values worked out by hand.
# One "PASS: name" / "FAIL: name: why" line per check; exit status: the
# number of failures.
set -u
here=$(cd "$(dirname "$0")" && pwd)
B=${PAGEMOVE_BIN:-$here/../../build/bin}
failed=0
. "$here/../vm/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME WANT_RC PATTERN CMD...: CMD exits WANT_RC, output matches PATTERN.
expect() {
	local name=$1 want=$2 pat=$3 o rc
	shift 3
	o=$("$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$pat" <<<"$o"; then
		pass "$name (exit $rc)"
	else
		fail "$name" "exit $rc (want $want), output: $(head -c 300 <<<"$o")"
	fi
}
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

for t in migratevma zsmigrate balloonlat tpcheck bpfsmoke hmmbench pmstat balloonctl zsstress; do
	if [ ! -x "$B/$t" ]; then
		fail "$t: built" "no $B/$t (make bpf tools)"
		continue
	fi
	expect "$t -h: usage, exit 0" 0 "^Usage: $t" "$B/$t" -h
	expect "$t --help: EXAMPLES and EXIT STATUS" 0 "EXIT STATUS" "$B/$t" --help
	expect "$t --help: EXAMPLES" 0 "^ *EXAMPLES:" "$B/$t" --help
	expect "$t --bogus: usage error, exit 2" 2 "unrecognized option" "$B/$t" --bogus
	expect "$t -Z: usage error, exit 2" 2 "invalid option" "$B/$t" -Z
done
expect "migratevma: bad interval, exit 2" 2 "invalid interval" "$B/migratevma" 1x
expect "migratevma: bad hook mode, exit 2" 2 "invalid hook mode" "$B/migratevma" -H magic
expect "balloonlat: bad hook mode names the host mode, exit 2" 2 "invalid hook mode.*tracepoint" \
	"$B/balloonlat" -H magic
expect "balloonlat --help: the host side's example" 0 "-H tracepoint -p" "$B/balloonlat" --help
expect "migratevma: -f without -p, exit 2" 2 "needs -p" "$B/migratevma" -f
expect "migratevma: extra positional, exit 2" 2 "unexpected argument" "$B/migratevma" 1 2 3
expect "migratevma -- CMD: usage error is 125, not CMD's" 125 "unrecognized option" \
	"$B/migratevma" --bogus -- true
expect "migratevma -p and -- CMD exclude each other (125)" 125 "exclude" \
	"$B/migratevma" -p 1 -- true
expect "migratevma: -w's argument may be --" 2 "invalid interval" "$B/migratevma" -w -- 1x
# zsmigrate: the same framework, its own options and messages.
expect "zsmigrate: bad interval, exit 2" 2 "invalid interval" "$B/zsmigrate" 0
expect "zsmigrate: bad count, exit 2" 2 "invalid count" "$B/zsmigrate" 1 0
expect "zsmigrate: bad hook mode, exit 2" 2 "invalid hook mode" "$B/zsmigrate" -H magic
expect "zsmigrate -H tracepoint: a mode it has no programs for, exit 1" 1 \
	"has no tracepoint programs" "$B/zsmigrate" -H tracepoint
expect "zsmigrate: -C without -p, exit 2" 2 "needs -p" "$B/zsmigrate" -C
expect "zsmigrate: bad pid, exit 2" 2 "invalid PID" "$B/zsmigrate" -p 0
expect "zsmigrate --json -- CMD: usage error is 125" 125 "unexpected argument" \
	"$B/zsmigrate" --json 1 2 3 -- true
expect "zsmigrate: --help names every summary line" 0 "race reports:" "$B/zsmigrate" --help
expect "zsmigrate: not root, exit 1" 1 "needs root" nobody "$B/zsmigrate"
expect "zsmigrate -- CMD: not root, exit 125" 125 "needs root" \
	nobody "$B/zsmigrate" -- touch "$tmp/ran"
# The host runs no pagemove kernel: the series' zsmalloc events are missing
# (or there is no BTF at all); either way a named reason and exit 1.
if [ "$(id -u)" = 0 ]; then
	expect "zsmigrate -H tp_btf without the series: named, exit 1" 1 \
		"no usable hooks: tp_btf: tracepoint zs_migrate_isolate is not in this kernel|no kernel BTF" \
		"$B/zsmigrate" -H tp_btf
	expect "zsmigrate -H tp_btf -- CMD without the series: 125, CMD not run" 125 \
		"no usable hooks|no kernel BTF" "$B/zsmigrate" -H tp_btf -- touch "$tmp/ran"
fi
expect "hmmbench: zero size, exit 2" 2 "invalid size" "$B/hmmbench" -s 0
expect "hmmbench: missing device, exit 1" 1 "cannot open /nonexistent" "$B/hmmbench" -d /nonexistent
expect "balloonctl: no command, exit 2" 2 "no command" "$B/balloonctl" -s /nonexistent
expect "balloonctl: no socket, exit 2" 2 "no QMP socket" "$B/balloonctl" query
expect "balloonctl: unknown command, exit 2" 2 "unknown command: inflate" "$B/balloonctl" -s x inflate
expect "balloonctl: set without SIZE, exit 2" 2 "set needs a SIZE" "$B/balloonctl" -s x set
expect "balloonctl: bad size, exit 2" 2 "invalid size: 12Q" "$B/balloonctl" -s x set 12Q
expect "balloonctl: size not a multiple of 4 KiB, exit 2" 2 "not a multiple of 4 KiB" \
	"$B/balloonctl" -s x set 1000
expect "balloonctl: size overflow, exit 2" 2 "invalid size" "$B/balloonctl" -s x set 99999999999T
expect "balloonctl: zero timeout, exit 2" 2 "invalid timeout: 0" "$B/balloonctl" -s x -t 0 set 1G
expect "balloonctl: bad stall, exit 2" 2 "invalid stall: nan" "$B/balloonctl" -s x --stall nan set 1G
expect "balloonctl: extra argument, exit 2" 2 "unexpected argument: 2" "$B/balloonctl" -s x set 1G 2
expect "balloonctl: no QEMU there, exit 1" 1 "cannot connect to /nonexistent" \
	"$B/balloonctl" -r 0.2 -s /nonexistent query
expect "tpcheck -- CMD: usage error is 125" 125 "invalid option" "$B/tpcheck" -Z -- true

# Not root: 1, or 125 with a command, which must not have run.
expect "migratevma: not root, exit 1" 1 "needs root" nobody "$B/migratevma"
expect "migratevma -- CMD: not root, exit 125" 125 "needs root" \
	nobody "$B/migratevma" -- touch "$tmp/ran"
expect "tpcheck: not root, exit 1" 1 "needs root" nobody "$B/tpcheck"
expect "bpfsmoke -- CMD: not root, exit 125" 125 "needs root" \
	nobody "$B/bpfsmoke" -- touch "$tmp/ran"
if [ -e "$tmp/ran" ]; then
	fail "CMD does not run when the tracer fails" "$tmp/ran exists"
else
	pass "CMD does not run when the tracer fails"
fi

# pmstat: medians worked out by hand (odd and even counts, unsorted,
# negative and fractional values, keys in first-seen order).
check_eq "pmstat: medians, min, max per key" \
	"$(printf 'b 5\na 3\nb -1\na 1\nb 2.5\na 2\nb 10\n' | "$B/pmstat" | tr '\n' ';')" \
	"b 4 3.75 -1 10;a 3 2 1 3;"
check_eq "pmstat: one value" "$(echo 'x 7' | "$B/pmstat")" "x 1 7 7 7"
expect "pmstat: a line without a number, exit 1 naming the line" 1 "line 2" \
	sh -c "printf 'a 1\na b\n' | '$B/pmstat'"
expect "pmstat: trailing junk is an error" 1 "line 1" sh -c "echo 'a 1 2' | '$B/pmstat'"
# zsstress on a file (no root, no zram): its own verification, under ASan
# and UBSan; --inject corrupts pages behind its back, each must be found.
Z=${PAGEMOVE_ZSSTRESS:-$here/../../build/unit/zsstress}
if [ -x "$Z" ]; then
	truncate -s 4M "$tmp/zs.img"
	o=$("$Z" -d "$tmp/zs.img" -F none -s 1 -t 3 2>&1)
	rc=$?
	line=$(grep '^zsstress: ops ' <<<"$o")
	if [ $rc = 0 ] && grep -q ' verify_failures 0$' <<<"$line" &&
	   [ "$(sed -n 's/.* verified \([0-9]*\) .*/\1/p' <<<"$line")" -gt 1024 ] 2>/dev/null; then
		pass "zsstress on a file: every read verified, exit 0 ($line)"
	else
		fail "zsstress on a file: every read verified, exit 0" "exit $rc: $(tail -n 3 <<<"$o")"
	fi
	o=$("$Z" -d "$tmp/zs.img" -F none -s 1 -t 3 --inject 3 2>&1)
	rc=$?
	n=$(grep -c '^zsstress: VERIFY FAILED page .* (checksum)' <<<"$o")
	if [ $rc = 1 ] && [ "$n" = 3 ] && grep -q ' verify_failures 3$' <<<"$o"; then
		pass "zsstress --inject 3: 3 corrupt pages found, exit 1"
	else
		fail "zsstress --inject 3: 3 corrupt pages found, exit 1" \
			"exit $rc, $n VERIFY FAILED lines: $(tail -n 3 <<<"$o")"
	fi
	expect "zsstress: -d of a missing file, exit 1" 1 "cannot open" \
		"$Z" -d "$tmp/none" -F none -s 0
	expect "zsstress: bad forcing list, exit 2" 2 "invalid forcing list" "$Z" -F magic
	expect "zsstress: more threads than pages, exit 1" 1 "fewer than" \
		"$Z" -d "$tmp/zs.img" -n 2 -t 3 -F none -s 0
	expect "zsstress: zram set-up needs root, exit 1" 1 "needs root" nobody "$Z" -s 0
	expect "zsstress: --zswap with -d, exit 2" 2 "--zswap and -d" \
		"$Z" --zswap -d "$tmp/zs.img" -F none -s 0
	expect "zsstress: --zswap with zram compaction, exit 2" 2 "no zram device to compact" \
		"$Z" --zswap -F offline,zram-compact -s 0
else
	fail "zsstress (ASan, UBSan): built" "no $Z (make tools-test builds it)"
fi
echo "tools cli: $failed failed"
exit $failed
