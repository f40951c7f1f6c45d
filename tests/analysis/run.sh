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

# ... and as CSV: a row per slice, six stages per migration, in order.
if "$P" timeline --csv "$D/migratevma-patched.log" -o "$tmp/tl.csv" 2>/dev/null &&
   /usr/bin/python3 - "$tmp/tl.csv" "$tmp/tl.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 96, len(rows)
ops = {}
for r in rows:
    ops.setdefault(r["op"], []).append(r["stage"])
assert all(v == ["collect", "unmap", "copy", "pages", "map", "finalize"] for v in ops.values()), ops
ev = json.load(open(sys.argv[2]))["traceEvents"]
assert [int(r["dur_ns"]) for r in rows] == [round(e["dur"] * 1000) for e in ev]
PY
then ok "timeline --csv: 96 rows, each migration's six stages in order, as in the JSON"
else ko "timeline --csv" "bad output"; fi

# Plot: gnuplot writes an SVG; --json/--csv give the CDF points instead.
if "$P" plot "$D/migratevma-patched.log" -o "$tmp/it's.svg" 2>/dev/null && grep -q '<svg' "$tmp/it's.svg"; then
	ok "plot: SVG written (to a path with a quote in it)"
else
	ko "plot" "no SVG"
fi
if "$P" plot --json "$D/migratevma-patched.log" -o "$tmp/p.json" 2>/dev/null &&
   "$P" plot --csv "$D/migratevma-patched.log" -o "$tmp/p.csv" 2>/dev/null &&
   /usr/bin/python3 - "$tmp/p.json" "$tmp/p.csv" "$tmp/report-patched.json" <<'PY'
import csv, json, sys
j = json.load(open(sys.argv[1]))
rep = {s["name"]: s for s in json.load(open(sys.argv[3]))["stages"]}
assert [s["name"] for s in j["stages"]] == list(rep), j
for s in j["stages"]:
    le = [p[0] for p in s["cdf"]]
    fr = [p[1] for p in s["cdf"]]
    assert s["count"] == rep[s["name"]]["count"] == 16
    assert le == sorted(le) and fr == sorted(fr) and fr[-1] == 1.0, s
    assert le[-1] == rep[s["name"]]["max_ns"], (le[-1], rep[s["name"]]["max_ns"])
rows = list(csv.DictReader(open(sys.argv[2])))
assert [(r["stage"], int(r["le_ns"]), float(r["fraction"])) for r in rows] == \
    [(s["name"], p[0], p[1]) for s in j["stages"] for p in s["cdf"]]
PY
then ok "plot --json/--csv: each stage's CDF rises to 1 at its max, as the report says"
else ko "plot --json/--csv" "bad output"; fi

# Names come from logs: JSON escapes them (quote, backslash, control
# character), keeps valid UTF-8, replaces invalid bytes; CSV quotes them.
cp "$D/migratevma-patched.log" "$tmp/names.log"
at=$(grep -obaF reason.hole "$tmp/names.log" | head -n 1 | cut -d: -f1)
printf 'a"b\\c\001\303\251\377,z\000' | dd of="$tmp/names.log" bs=1 seek="$at" conv=notrunc status=none
if "$P" report --json "$tmp/names.log" >"$tmp/names.json" &&
   "$P" report --csv "$tmp/names.log" >"$tmp/names.csv" &&
   /usr/bin/python3 - "$tmp/names.json" "$tmp/names.csv" <<'PY'
import csv, json, sys
want = 'a"b\\c\x01\u00e9\ufffd,z'
names = [c["name"] for c in json.load(open(sys.argv[1]))["counters"]]
assert want in names, names
rows = csv.DictReader(open(sys.argv[2], encoding="utf-8", errors="replace"))
assert want in [r["name"] for r in rows if r["kind"] == "counter"]
PY
then ok "odd names: JSON escaped and valid, CSV quoted"
else ko "odd names" "see $tmp/names.json"; fi

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
o=$("$P" plot "$log" 2>&1); rc=$?
[ $rc = 2 ] && grep -q usage <<<"$o" && ok "plot without -o: usage, exit 2" || ko "plot without -o" "exit $rc"
o=$("$P" timeline "$log" -o /nonexistent/dir/t.json 2>&1); rc=$?
[ $rc = 1 ] && grep -q "cannot create" <<<"$o" && ok "timeline to an unwritable path: message, exit 1" ||
	ko "timeline to an unwritable path" "exit $rc: $o"
o=$("$P" timeline "$log" -o /dev/full 2>&1); rc=$?
[ $rc = 1 ] && grep -q "No space left" <<<"$o" && ok "timeline to a full disk: message, exit 1" ||
	ko "timeline to a full disk" "exit $rc: $o"

echo "$passed passed, $failed failed"
[ $failed = 0 ]
