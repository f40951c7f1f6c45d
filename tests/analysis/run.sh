#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The pagemove CLI on logs written by real migratevma runs (tests/data,
# recorded in this project's VM on the patched and the stock kernel):
# outputs must match tests/golden exactly; damaged, empty, truncated and
# wrong-version logs must give a message and a non-zero exit, never a
# crash (the binary under test is built with ASan and UBSan).
# PASS:/FAIL: lines, "N passed, N failed".  UPDATE=1 rewrites the goldens.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
P=${PAGEMOVE_BIN:-$TOP/build/unit/pagemove}
D=$TOP/tests/data
G=$TOP/tests/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "PASS: $1"; passed=$((passed + 1)); }
ko() { echo "FAIL: $1: $2"; failed=$((failed + 1)); }

# golden NAME ARGS...: stdout of pagemove ARGS equals $G/NAME.
golden() {
	local name=$1
	shift
	(cd "$TOP" && "$P" "$@") >"$tmp/$name" 2>"$tmp/$name.err" ||
		{ ko "golden $name" "exit $?: $(cat "$tmp/$name.err")"; return; }
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$tmp/$name" "$G/$name"
	fi
	if cmp -s "$tmp/$name" "$G/$name"; then
		ok "golden $name"
	else
		ko "golden $name" "differs: $(diff "$G/$name" "$tmp/$name" | head -n 5)"
	fi
}
golden report-patched.txt report tests/data/migratevma-patched.log
golden report-patched.json report --json tests/data/migratevma-patched.log
golden report-patched.csv report --csv tests/data/migratevma-patched.log
golden report-stock.txt report tests/data/migratevma-stock.log
golden diff-stock-patched.txt diff tests/data/migratevma-stock.log tests/data/migratevma-patched.log
golden diff-stock-patched.json diff --json tests/data/migratevma-stock.log tests/data/migratevma-patched.log

# Facts a reader relies on, checked on their own.
grep -q '^reason.no_dst *2$' "$tmp/report-patched.txt" && ok "patched log: 2 pages of reason no_dst" ||
	ko "patched log: reason no_dst" "$(grep no_dst "$tmp/report-patched.txt")"
grep -q '^reason.no_dst *unavailable on the traced kernel$' "$tmp/report-stock.txt" &&
	ok "stock log: reasons reported unavailable, not zero" ||
	ko "stock log: reasons unavailable" "$(grep no_dst "$tmp/report-stock.txt")"
/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1])); json.load(open(sys.argv[2]))' \
	"$tmp/report-patched.json" "$tmp/diff-stock-patched.json" && ok "JSON outputs parse" ||
	ko "JSON outputs parse" "invalid JSON"

# Timeline: valid trace-event JSON, one slice per stage record.
if "$P" timeline "$D/migratevma-patched.log" -o "$tmp/tl.json" 2>/dev/null &&
   /usr/bin/python3 - "$tmp/tl.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
ev = j["traceEvents"]
assert len(ev) == 16 * 6, len(ev)
assert all(e["ph"] == "X" and e["dur"] >= 0 for e in ev)
assert {e["name"] for e in ev} == {"collect", "unmap", "copy", "pages", "map", "finalize"}
PY
then ok "timeline: 96 slices (16 migrations x 6 stages), valid JSON"
else ko "timeline" "bad output"; fi

# Plot: gnuplot writes an SVG.
if "$P" plot "$D/migratevma-patched.log" -o "$tmp/p.svg" 2>/dev/null && grep -q '<svg' "$tmp/p.svg"; then
	ok "plot: SVG written"
else
	ko "plot" "no SVG"
fi

# Damage: each must fail with a message, never crash.
bad() {	# bad NAME PATTERN FILE
	local o rc
	o=$("$P" report "$3" 2>&1 >/dev/null)
	rc=$?
	if [ $rc = 1 ] && grep -qE -- "$2" <<<"$o"; then
		ok "$1 (exit 1: ${o#pagemove: })"
	else
		ko "$1" "exit $rc: $o"
	fi
}
log=$D/migratevma-patched.log
size=$(stat -c %s "$log")
: >"$tmp/empty"
bad "empty file" "empty file" "$tmp/empty"
bad "missing file" "cannot open" "$tmp/nonexistent"
for cut in 4 100 256 300 $((size / 2)) $((size - 1)); do
	head -c $cut "$log" >"$tmp/cut"
	bad "truncated at $cut bytes" "magic|truncated" "$tmp/cut"
done
cp "$log" "$tmp/v3"
printf '\003' | dd of="$tmp/v3" bs=1 seek=8 conv=notrunc status=none
bad "newer version" "version 3, this build reads version 2" "$tmp/v3"
printf '\001' | dd of="$tmp/v3" bs=1 seek=8 conv=notrunc status=none
bad "older version (80-byte stage records)" "version 1, this build reads version 2" "$tmp/v3"
cp "$log" "$tmp/type"
printf '\377' | dd of="$tmp/type" bs=1 seek=256 conv=notrunc status=none
bad "unknown record type" "unknown record type at offset 256" "$tmp/type"
head -c 256 /dev/urandom >"$tmp/random"
bad "random bytes" "bad magic" "$tmp/random"
o=$("$P" diff "$log" 2>&1); rc=$?
[ $rc = 2 ] && ok "diff with one file: usage, exit 2" || ko "diff with one file" "exit $rc"

echo "$passed passed, $failed failed"
[ $failed = 0 ]
