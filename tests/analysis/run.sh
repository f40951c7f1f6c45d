#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The pagemove CLI (built with ASan and UBSan) against an independent
# reader of the log format (tests/analysis/pmlog.py, written from
# include/pagemove/log_format.h, not from lib/): on logs written by real
# migratevma runs (tests/data, recorded in this project's VM: two of
# log version 2, one of version 3 written through this tree's lib/log.c
# with hmmbench's own output beside it) and on crafted version 3 logs.
#  - numbers: every count, sum, max, counter of report/diff/plot/timeline
#    equals what pmlog.py reads; percentiles lie in the slot pmlog.py
#    computes; slice-built histograms equal the in-kernel ones of the same
#    log; the ring buffer's page counts equal the in-kernel counters.
#  - goldens: the text layout only, compared, never rewritten here (make
#    a new one with tests/analysis/regen-goldens.sh and review its diff).
#  - hostile logs: names with a newline and "!cmd" / system "cmd" in each
#    of stage, histogram, counter, tool, kernel and hooks: every
#    subcommand refuses them (exit 1, the offset) and nothing runs;
#    damaged or inconsistent logs: exit 1 with the record's offset, by
#    every subcommand.
# PASS:/FAIL: lines, "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
P=${PAGEMOVE_BIN:-$TOP/build/unit/pagemove}
D=$TOP/tests/data
G=$TOP/tests/golden
PY=/usr/bin/python3
export PYTHONPATH=$TOP/tests/analysis
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "PASS: $1"; passed=$((passed + 1)); }
ko() { echo "FAIL: $1: $2"; failed=$((failed + 1)); }
# py NAME SCRIPT ARGS...: PASS if the Python check exits 0.
py() {
	local name=$1 out
	shift
	if out=$("$PY" - "$@" 2>&1); then ok "$name"; else ko "$name" "$(tail -n 3 <<<"$out")"; fi
}
[ -x "$P" ] || { ko "pagemove binary" "$P missing"; echo "$passed passed, $failed failed"; exit 1; }

pl=$D/migratevma-patched.log
sl=$D/migratevma-stock.log
v3=$D/migratevma-stock-v3.log	# version 3, written by migratevma on lib/log.c of this tree

# --- goldens: layout, compared only ------------------------------------------
golden() {
	local name=$1
	shift
	(cd "$TOP" && "$P" "$@") >"$tmp/$name" 2>"$tmp/$name.err" ||
		{ ko "golden $name" "exit $?: $(cat "$tmp/$name.err")"; return; }
	if cmp -s "$tmp/$name" "$G/$name"; then
		ok "golden $name"
	else
		ko "golden $name" "differs (tests/analysis/regen-goldens.sh shows how): $(diff "$G/$name" "$tmp/$name" | head -n 5)"
	fi
}
golden report-patched.txt report tests/data/migratevma-patched.log
golden report-patched.json report --json tests/data/migratevma-patched.log
golden report-patched.csv report --csv tests/data/migratevma-patched.log
golden report-stock.txt report tests/data/migratevma-stock.log
golden diff-stock-patched.txt diff tests/data/migratevma-stock.log tests/data/migratevma-patched.log
golden diff-stock-patched.json diff --json tests/data/migratevma-stock.log tests/data/migratevma-patched.log

# --- numbers against pmlog.py ------------------------------------------------
for k in patched stock stock-v3; do
	"$P" report --json "$D/migratevma-$k.log" >"$tmp/r-$k.json" 2>"$tmp/r-$k.err" ||
		ko "report --json $k" "$(cat "$tmp/r-$k.err")"
done
py "report --json (v2 and v3 logs): counts, sums, maxima, means, records and counters equal pmlog.py's; percentiles in pmlog.py's slot" \
	"$pl" "$tmp/r-patched.json" "$sl" "$tmp/r-stock.json" "$v3" "$tmp/r-stock-v3.json" <<'PY'
import json, sys, pmlog
for log, rep in zip(sys.argv[1::2], sys.argv[2::2]):
    L = pmlog.Log(log)
    j = json.load(open(rep))
    assert j["version"] == L.version and j["tool"] == L.tool and j["kernel"] == L.kernel, j["tool"]
    assert j["records"] == L.records and j["lost_events"] == L.lost, (j["records"], L.records)
    ns = {n[:-3] if n.endswith("_ns") else n: h for n, h in L.hists.items() if h["unit"] == "ns"}
    assert [s["name"] for s in j["stages"]] == list(ns), [s["name"] for s in j["stages"]]
    stage_sum = sum(h["sum"] for n, h in ns.items() if n in L.stages.values())
    for s in j["stages"]:
        h = ns[s["name"]]
        assert (s["count"], s["sum_ns"], s["max_ns"]) == (h["count"], h["sum"], h["max"]), s
        assert abs(s["mean_ns"] - h["sum"] / h["count"]) <= 0.05 + 1e-6, s   # printed to 0.1
        for p in (50, 90, 99, 99.9):
            lo, hi = pmlog.percentile_bounds(h["slots"], h["count"], p)
            got = s["p%g_ns" % p]
            assert lo <= got <= min(hi, h["max"]), (s["name"], p, lo, got, hi)
        if s["name"] in L.stages.values():
            assert abs(s["share"] - h["sum"] / stage_sum) < 1e-4, s
        else:
            assert s["share"] is None, s
    want = [(n, c["value"] if c["available"] else None) for n, c in L.counters.items()]
    assert [(c["name"], c["value"]) for c in j["counters"]] == want, j["counters"]
PY

# The next two check the reader and the recorded logs for consistency: the
# slices and the in-kernel histograms are two records of the same BPF
# values (on_finalize_end() fills both), so they are no independent measure
# of time; the workload's own clock is compared in tests/vm/migratevma.sh.
py "log consistency: slice-built histograms equal the in-kernel records (count, sum, max, every slot)" "$pl" "$sl" "$v3" <<'PY'
import sys, pmlog
for log in sys.argv[1:]:
    L = pmlog.Log(log)
    sh = L.slice_hists()
    assert set(sh) == set(L.stages.values()), (set(sh), L.stages)
    for stage, (count, total, mx, slots) in sh.items():
        h = L.hists[stage + "_ns"]
        assert (count, total, mx) == (h["count"], h["sum"], h["max"]), (log, stage)
        bad = [s for s in range(pmlog.SLOTS) if slots[s] != h["slots"][s]]
        assert not bad, (log, stage, bad[:3])
PY

py "log consistency: ring-buffer page counts equal the in-kernel counters; 16 migrations of 512 pages requested" "$pl" "$sl" "$v3" <<'PY'
import sys, pmlog
for log in sys.argv[1:]:
    L = pmlog.Log(log)
    pages = {}
    for s in L.slices:
        pages[s["stage"]] = pages.get(s["stage"], 0) + s["pages"]
    c = {n: v["value"] for n, v in L.counters.items()}
    assert pages["collect"] == c["pages.collected"] and pages["unmap"] == c["pages.unmapped"], pages
    assert all(pages[s] == c["pages.migrated"] for s in ("copy", "pages", "map", "finalize")), pages
    ops = {s["op"] for s in L.slices}
    assert len(ops) == 16 and c["pages.requested"] == 16 * 512, (len(ops), c["pages.requested"])
PY

py "v3 log against hmmbench's own numbers: pages it migrated, 8 calls of 512 pages a direction, stage times within its ioctl times" \
	"$v3" "$D/migratevma-stock-v3.hmmbench.txt" <<'PY'
import sys, pmlog
L = pmlog.Log(sys.argv[1])
rounds = [dict(kv.split("=") for kv in line.split()[1:]) for line in open(sys.argv[2])]
pages = sum(int(r["pages"]) for r in rounds)
ns = sum(int(r["ns"]) for r in rounds)
c = {n: v["value"] for n, v in L.counters.items()}
assert L.version == 3 and c["pages.migrated"] == pages == 8192, (c, pages)
assert all(h["count"] == 2 * 4096 // 512 for h in L.hists.values()), [h["count"] for h in L.hists.values()]
stage_sum = sum(h["sum"] for n, h in L.hists.items() if n[:-3] in L.stages.values())
assert 0 < stage_sum <= L.hists["total_ns"]["sum"] <= ns, (stage_sum, L.hists["total_ns"]["sum"], ns)
PY

grep -q '^reason.no_dst *2$' "$tmp/report-patched.txt" && ok "patched log: 2 pages of reason no_dst" ||
	ko "patched log: reason no_dst" "$(grep no_dst "$tmp/report-patched.txt")"
grep -q '^reason.no_dst *unavailable on the traced kernel$' "$tmp/report-stock.txt" &&
	ok "stock log: reasons reported unavailable, not zero" ||
	ko "stock log: reasons unavailable" "$(grep no_dst "$tmp/report-stock.txt")"

"$P" diff --json "$sl" "$pl" >"$tmp/d.json" 2>/dev/null || ko "diff --json" "exit $?"
py "diff --json: counts and medians per stage as pmlog.py reads both logs" "$sl" "$pl" "$tmp/d.json" <<'PY'
import json, sys, pmlog
A, B = pmlog.Log(sys.argv[1]), pmlog.Log(sys.argv[2])
j = json.load(open(sys.argv[3]))
names = [s["name"] for s in j["stages"]]
assert names == [n[:-3] for n in A.hists], names
for s in j["stages"]:
    a, b = A.hists[s["name"] + "_ns"], B.hists[s["name"] + "_ns"]
    assert (s["base_count"], s["new_count"]) == (a["count"], b["count"]), s
    for h, got in ((a, s["base_p50_ns"]), (b, s["new_p50_ns"])):
        lo, hi = pmlog.percentile_bounds(h["slots"], h["count"], 50)
        assert lo <= got <= min(hi, h["max"]), (s, lo, hi)
    assert abs(s["ratio"] - s["new_p50_ns"] / s["base_p50_ns"]) < 1e-3, s
    assert s["ci"][0] <= s["ratio"] <= s["ci"][1], s
PY

if "$P" timeline "$pl" -o "$tmp/tl.json" 2>/dev/null &&
   "$P" timeline --csv "$pl" -o "$tmp/tl.csv" 2>/dev/null; then
	py "timeline JSON and CSV: each slice as pmlog.py reads it (start, duration, ids, stage, pages)" \
		"$pl" "$tmp/tl.json" "$tmp/tl.csv" <<'PY'
import csv, json, sys, pmlog
L = pmlog.Log(sys.argv[1])
ev = json.load(open(sys.argv[2]))["traceEvents"]
rows = list(csv.DictReader(open(sys.argv[3])))
assert len(ev) == len(rows) == len(L.slices) == 96, (len(ev), len(rows))
for e, r, s in zip(ev, rows, L.slices):
    assert e["name"] == r["stage"] == s["stage"] and e["ph"] == "X"
    assert abs(e["ts"] * 1000 - (s["end"] - s["dur"])) < 1 and abs(e["dur"] * 1000 - s["dur"]) < 1
    assert (e["pid"], e["tid"], e["args"]["op"], e["args"]["pages"]) == (s["tgid"], s["pid"], s["op"], s["pages"])
    assert (int(r["start_ns"]), int(r["dur_ns"]), int(r["pid"]), int(r["tgid"]), int(r["op"]),
            int(r["cpu"]), int(r["pages"])) == (s["end"] - s["dur"], s["dur"], s["pid"], s["tgid"],
                                                s["op"], s["cpu"], s["pages"])
PY
else
	ko "timeline" "exit status"
fi

if "$P" plot --json "$pl" -o "$tmp/p.json" 2>/dev/null && "$P" plot --csv "$pl" -o "$tmp/p.csv" 2>/dev/null; then
	py "plot --json/--csv: each CDF point (slot's upper bound, or max; cumulative share) as pmlog.py computes it" \
		"$pl" "$tmp/p.json" "$tmp/p.csv" <<'PY'
import csv, json, sys, pmlog
L = pmlog.Log(sys.argv[1])
j = json.load(open(sys.argv[2]))
want = []
for name, h in L.hists.items():
    cum, pts = 0, []
    for s, n in enumerate(h["slots"]):
        if n:
            cum += n
            pts.append([h["max"] if cum == h["count"] else pmlog.slot_high(s), round(cum / h["count"], 6)])
    want.append((name[:-3], h["count"], pts))
got = [(s["name"], s["count"], s["cdf"]) for s in j["stages"]]
assert got == want, (got[0], want[0])
rows = [(r["stage"], int(r["le_ns"]), float(r["fraction"])) for r in csv.DictReader(open(sys.argv[3]))]
assert rows == [(n, p[0], p[1]) for n, _, pts in want for p in pts]
PY
else
	ko "plot --json/--csv" "exit status"
fi

if "$P" plot "$pl" -o "$tmp/it's.svg" 2>"$tmp/plot.err" && grep -q '<svg' "$tmp/it's.svg"; then
	legend=$(grep -o '<text>[a-z]*</text>' "$tmp/it's.svg" | sort -u | tr -d '\n')
	if [ "$legend" = "<text>collect</text><text>copy</text><text>finalize</text><text>map</text><text>pages</text><text>total</text><text>unmap</text>" ]; then
		ok "plot: SVG written (to a path with a quote in it), legend from the data file"
	else
		ko "plot legend" "$legend"
	fi
else
	ko "plot" "no SVG: $(cat "$tmp/plot.err")"
fi

# --- a version 3 log of another tracer: what it declares is what is shown -----
"$PY" - "$tmp/v3.log" <<'PY'
import sys, pmlog
w = pmlog.Writer(tool="balloonlat", kernel="7.3.0-rc7", hooks="inflate=tp_btf")
w.stage(0, "alloc")
w.stage(1, "tell_host")
w.kind(0x100, pmlog.SPAN, "request", [("dur", "ns", 0), ("pfns", "pages", 0), ("vq", "", pmlog.F_ENUM)])
w.label(0x100, 2, 0, "inflateq")
w.label(0x100, 2, 1, "deflateq")
w.slices([(0, 1000, 3000, 1, 7, 7, 0, 256), (1, 5000, 9000, 1, 7, 7, 0, 256), (0, 3000, 12000, 2, 7, 7, 1, 256)])
w.event(0x100, 20000, [4000, 256, 0], cpu=1)
w.event(0x100, 30000, [6000, 128, 1], cpu=1)
w.event(0x100, 40000, [9000, 256, 0], cpu=1)
w.rec(pmlog.OPTIONAL | 3, b"\0" * 8)
w.hist("pfns_per_request", [256, 128, 256], unit="pages")
w.counter("inflates", 3, unit="requests")
w.write(sys.argv[1])
PY
if "$P" report --json "$tmp/v3.log" >"$tmp/v3.json" 2>"$tmp/v3.err" &&
   "$P" report "$tmp/v3.log" >"$tmp/v3.txt" 2>>"$tmp/v3.err" &&
   "$P" timeline "$tmp/v3.log" -o "$tmp/v3-tl.json" 2>>"$tmp/v3.err"; then
	py "v3 log of another tracer: its stages, kinds, labels, units and skipped records reported" \
		"$tmp/v3.json" "$tmp/v3.txt" "$tmp/v3-tl.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["version"] == 3 and j["tool"] == "balloonlat" and j["skipped_records"] == 1, j
assert [(s["name"], s["count"], s["sum_ns"]) for s in j["stages"]] == [("alloc", 2, 4000), ("tell_host", 1, 5000)], j["stages"]
assert j["histograms"] == [{"name": "pfns_per_request", "unit": "pages", "count": 3, "sum": 640, "p50": 256.0, "max": 256}] or \
    (j["histograms"][0]["count"], j["histograms"][0]["sum"], j["histograms"][0]["unit"]) == (3, 640, "pages"), j["histograms"]
assert j["counters"] == [{"name": "inflates", "unit": "requests", "value": 3}], j["counters"]
k, = j["kinds"]
assert (k["name"], k["class"], k["count"]) == ("request", "span", 3), k
dur, pfns, vq = k["fields"]
assert (dur["count"], dur["sum"], dur["max"]) == (3, 19000, 9000) and pfns["unit"] == "pages", dur
assert vq["values"] == [{"value": 0, "label": "inflateq", "count": 2}, {"value": 1, "label": "deflateq", "count": 1}], vq
t = open(sys.argv[2]).read()
assert "1 optional records" in t and "inflates                     3 requests" in t and "vq" in t and "inflateq=2 deflateq=1" in t, t
ev = json.load(open(sys.argv[3]))["traceEvents"]
spans = [e for e in ev if e["name"] == "request"]
assert [(e["ts"], e["dur"], e["args"]["vq"]) for e in spans] == [(16.0, 4.0, "inflateq"), (24.0, 6.0, "deflateq"), (31.0, 9.0, "inflateq")], spans
assert len(ev) == 6
PY
else
	ko "v3 log of another tracer" "$(cat "$tmp/v3.err")"
fi

# --- a zsmigrate log: outcomes, checks, race reports listed one by one --------
"$PY" - "$tmp/zs.log" <<'PY'
import sys, pmlog
w = pmlog.Writer(tool="zsmigrate", kernel="7.3.0-rc7", hooks="outcomes=fentry ops=fentry")
w.kind(0x300, pmlog.SPAN, "zs_migration", [("dur", "ns", 0), ("result", "", pmlog.F_ENUM),
       ("pfn", "", pmlog.F_ID), ("newpfn", "", pmlog.F_ID), ("class_size", "bytes", 0),
       ("objs", "objects", 0), ("zspage", "", pmlog.F_ID), ("pid", "", pmlog.F_ID)])
w.kind(0x301, pmlog.EVENT, "zs_race", [("check", "", pmlog.F_ENUM), ("op", "", pmlog.F_ENUM),
       ("other_op", "", pmlog.F_ENUM), ("zspage", "", pmlog.F_ID), ("class_size", "bytes", 0),
       ("old_pfn", "", pmlog.F_ID), ("new_pfn", "", pmlog.F_ID), ("handle", "", pmlog.F_ID),
       ("value", "", pmlog.F_ID), ("expected", "", pmlog.F_ID), ("other_cpu", "", pmlog.F_ID),
       ("other_ts", "ns", pmlog.F_ID), ("pid", "", pmlog.F_ID)])
for i, n in enumerate(["success", "busy", "freed", "error"]):
    w.label(0x300, 1, i, n)
for i, n in enumerate(["handle_old_page", "objs_moved", "slot_words"]):
    w.label(0x301, 0, i, n)
for i, n in enumerate(["none", "migrate", "malloc", "free", "read", "read_end", "write"]):
    w.label(0x301, 1, i, n); w.label(0x301, 2, i, n)
w.event(0x300, 20000, [4000, 0, 0x1234, 0x5678, 208, 17, 0xffff888001000000, 55], cpu=1)
w.event(0x300, 30000, [1000, 1, 0x1235, 0x5679, 208, 0, 0xffff888001000000, 55], cpu=0)
w.event(0x300, 40000, [3000, 0, 0x1236, 0x567a, 96, 40, 0xffff888001000100, 55], cpu=1)
w.event(0x301, 41000, [0, 1, 0, 0xffff888001000100, 96, 0x1236, 0x567a, 0xffff888003000040,
        0x1236000abc, 0x567a, 0, 0, 55], cpu=1)
w.event(0x301, 42000, [2, 5, 1, 0xffff888001000000, 208, 0x1234, 0x5678, 0xffff888003000080,
        0x1234000001, 0xffff888003000081, 1, 16000, 56], cpu=0)
w.counter("migrations.migrated", 2)
w.counter("migrations.busy", 1)
w.counter("runs.handle_old_page", 2)
w.counter("violations.handle_old_page", 1)
w.counter("runs.objs_moved", 0, available=0)
w.counter("race.reports", 2)
w.hist("migrate_ns", [4000, 1000, 3000])
w.write(sys.argv[1])
PY
if "$P" report --json "$tmp/zs.log" >"$tmp/zs.json" 2>"$tmp/zs.err" &&
   "$P" report "$tmp/zs.log" >"$tmp/zs.txt" 2>>"$tmp/zs.err"; then
	py "zsmigrate log: outcome table by result, migrate percentiles, checks, each race report listed" \
		"$tmp/zs.json" "$tmp/zs.txt" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
mig, race = j["kinds"]
assert (mig["name"], mig["count"]) == ("zs_migration", 3) and "records" not in mig, mig
res = mig["fields"][1]["values"]
assert res == [{"value": 0, "label": "success", "count": 2}, {"value": 1, "label": "busy", "count": 1}], res
assert (mig["fields"][5]["sum"], mig["fields"][0]["max"]) == (57, 4000), mig["fields"]
assert race["count"] == 2 and [r["values"][0] for r in race["records"]] == [0, 2], race
assert race["records"][1] == {"ts_ns": 42000, "cpu": 0, "values": [2, 5, 1, 0xffff888001000000, 208,
    0x1234, 0x5678, 0xffff888003000080, 0x1234000001, 0xffff888003000081, 1, 16000, 56]}, race["records"]
c = {x["name"]: x["value"] for x in j["counters"]}
assert c["violations.handle_old_page"] == 1 and c["runs.objs_moved"] is None, c
assert j["stages"][0]["name"] == "migrate" and j["stages"][0]["count"] == 3, j["stages"]
t = open(sys.argv[2]).read()
assert "result                   success=2 busy=1" in t, t
assert "all 2 of 2 records:" in t, t
assert "+0.000040 s cpu 1 check=handle_old_page op=migrate other_op=none zspage=0xffff888001000100 class_size=96 old_pfn=0x1236" in t, t
assert "check=slot_words op=read_end other_op=migrate" in t and "other_ts=0x3e80" in t, t
assert any(l.split() == ["runs.objs_moved", "unavailable", "on", "the", "traced", "kernel"] for l in t.splitlines()), t
PY
else
	ko "zsmigrate log" "$(cat "$tmp/zs.err")"
fi

# A real zsmigrate log (tests/data, tp_btf on the patched kernel in this
# project's VM, with zsmigrate's own summary beside it): the spans pmlog.py
# reads, the summary's counts, what report says.
zl=$D/zsmigrate-patched.log
if "$P" report --json "$zl" >"$tmp/zl.json" 2>"$tmp/zl.err"; then
	py "real zsmigrate log: spans and counters as pmlog.py reads them, = zsmigrate's own summary" \
		"$zl" "$tmp/zl.json" "$D/zsmigrate-patched.txt" <<'PY'
import json, re, sys, pmlog
L = pmlog.Log(sys.argv[1])
j = json.load(open(sys.argv[2]))
txt = open(sys.argv[3]).read()
m = dict(re.findall(r"(\w+) (\d+)", re.search(r"^migrations: (.*)$", txt, re.M).group(1)))
c = {x["name"]: x["value"] for x in j["counters"]}
assert all(c["migrations." + k] == int(v) for k, v in m.items()), (m, c)
for name in re.findall(r"^check (\w+): runs", txt, re.M):
    runs, viol = re.search(r"^check %s: runs (\d+) violations (\d+)" % name, txt, re.M).groups()
    assert (c["runs." + name], c["violations." + name]) == (int(runs), int(viol)), name
k = {x["name"]: x for x in j["kinds"]}["zs_migration"]
res = {v["label"]: v["count"] for v in k["fields"][1]["values"]}
assert res.get("success", 0) == int(m["migrated"]) and res.get("busy", 0) == int(m["busy"]), res
assert k["fields"][5]["sum"] == int(m["objs_moved"]), k["fields"][5]
mig = [v for t, cpu, ts, v in L.events if L.kinds[t]["name"] == "zs_migration"]
assert sum(1 for v in mig if v[1] == 0) == int(m["migrated"]), len(mig)
assert sum(v[5] for v in mig if v[1] == 0) == int(m["objs_moved"])
assert all(L.counters["migrations." + k]["value"] == int(v) for k, v in m.items())
assert j["lost_events"] == 0 and c["race.reports"] == 0 and "race: " not in txt
PY
else
	ko "real zsmigrate log" "$(cat "$tmp/zl.err")"
fi

# --- hostile names: refused by every subcommand, nothing runs -------------------
# every subcommand on FILE: exit 1 and "offset" in the message; SVG not written
refused_everywhere() {	# NAME FILE PATTERN
	local name=$1 f=$2 pat=$3 c o rc bad=""
	for c in "report" "report --json" "diff" "timeline" "timeline --csv" "plot" "plot --json"; do
		rm -f "$tmp/out.svg"
		case $c in
		diff) o=$("$P" diff "$pl" "$f" 2>&1 >/dev/null) ;;
		timeline*|plot*) o=$("$P" $c "$f" -o "$tmp/out.svg" 2>&1 >/dev/null) ;;
		*) o=$("$P" $c "$f" 2>&1 >/dev/null) ;;
		esac
		rc=$?
		if [ $rc != 1 ] || ! grep -qE -- "$pat" <<<"$o"; then
			bad="$bad [$c: exit $rc: ${o:0:120}]"
		elif [ "${c%% *}" = plot ] && [ -s "$tmp/out.svg" ] && grep -q '<svg' "$tmp/out.svg"; then
			bad="$bad [$c: wrote an SVG]"
		fi
	done
	if [ -z "$bad" ]; then ok "$name: refused by every subcommand (exit 1: ${o#pagemove: })"; else ko "$name" "$bad"; fi
}
# gnuplot (and a shell) would run in the current directory: run from $tmp,
# where a payload that ran leaves a file named pwned-*
cd "$tmp" || exit 1
for version in 2 3; do
	for field in stage histogram counter tool kernel hooks; do
		for payload in bang system; do
			"$PY" - "$tmp/hostile.log" "$field" "$payload" "$version" <<'PY'
import sys, pmlog
path, field, payload, version = sys.argv[1:]
pwn = "pwned-%s%s%s" % (field[:2], payload[0], version)    # short: names have 31 bytes
evil = "x\n!touch %s\n" % pwn if payload == "bang" else "x\nsystem \"touch %s\"\n" % pwn
kw = dict(tool="t", kernel="k", hooks="h")
if field in kw:
    kw[field] = evil
w = pmlog.Writer(version=int(version), **kw)
w.stage(0, evil if field == "stage" else "collect")
w.slices([(0, 10, 2000, 1, 1, 1, 0, 1)])
if field != "stage":    # without histograms, the stages are what plot draws
    w.hist(evil + "_ns" if field == "histogram" else "collect_ns", [10])
w.counter(evil if field == "counter" else "c", 1)
w.write(path)
PY
			refused_everywhere "v$version log, $field name with a newline and ${payload/bang/!cmd}" \
				"$tmp/hostile.log" "offset|damaged header"
		done
	done
done
ran=$(ls "$tmp" | grep '^pwned' | tr '\n' ' ')
[ -z "$ran" ] && ok "no payload ran (no pwned-* file)" || ko "no payload ran" "these ran: $ran"
cd "$TOP" || exit 1

# printable but odd names go through: quoted in CSV, escaped in JSON, data to gnuplot
"$PY" - "$tmp/odd.log" <<'PY'
import sys, pmlog
w = pmlog.Writer(tool="t'x`id`", kernel="k$(id)")
w.stage(0, "a\"b\\c,d'e")
w.slices([(0, 10, 2000, 1, 1, 1, 0, 1)])
w.hist("a\"b\\c,d'e_ns", [10])
w.counter("`id` $(id) ;", 1)
w.write(sys.argv[1])
PY
if "$P" report --json "$tmp/odd.log" >"$tmp/odd.json" && "$P" report --csv "$tmp/odd.log" >"$tmp/odd.csv" &&
   "$P" plot "$tmp/odd.log" -o "$tmp/odd.svg" 2>/dev/null && grep -q '<svg' "$tmp/odd.svg"; then
	py "odd printable names: JSON escaped, CSV quoted, plotted as data (legend shows the name)" \
		"$tmp/odd.json" "$tmp/odd.csv" "$tmp/odd.svg" <<'PY'
import csv, json, sys
j = json.load(open(sys.argv[1]))
assert j["stages"][0]["name"] == "a\"b\\c,d'e" and j["counters"][0]["name"] == "`id` $(id) ;", j
rows = list(csv.DictReader(open(sys.argv[2])))
assert rows[0]["name"] == "a\"b\\c,d'e", rows
svg = open(sys.argv[3]).read()
assert "a'b/c,d'e" in svg.replace("&apos;", "'").replace("&#39;", "'"), "legend"
PY
else
	ko "odd printable names" "exit status"
fi

# --- damaged and inconsistent logs: exit 1 with the offset, every subcommand ------
damaged() {	# NAME PATTERN -- python body writing sys.argv[1] (prints the offset)
	local name=$1 pat=$2 at
	at=$("$PY" - "$tmp/bad.log")
	refused_everywhere "$name" "$tmp/bad.log" "$pat.* at offset ${at:-?} "
}
damaged "histogram count 1000 from 2 values (mean 95 ns)" "count disagrees with its slots" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.hist("a_ns", [90, 100], count=1000)); w.write(sys.argv[1])
PY
damaged "histogram with count > 0 and every slot empty" "count disagrees with its slots" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.hist("a_ns", [], count=5, sum_=4022, max_=4022)); w.write(sys.argv[1])
PY
damaged "histogram max outside its highest slot" "max outside its highest slot" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.hist("a_ns", [90, 100], max_=5000)); w.write(sys.argv[1])
PY
damaged "histogram sum outside the slots' bounds" "sum outside its slots' bounds" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.hist("a_ns", [90, 100], sum_=20)); w.write(sys.argv[1])
PY
damaged "histogram slots overflowing their count" "slots overflow their count" <<'PY'
import sys, pmlog
s = [0] * pmlog.SLOTS; s[3] = 2 ** 64 - 1; s[4] = 2
w = pmlog.Writer(); w.stage(0, "a"); print(w.hist("a_ns", count=1, sum_=7, max_=4, slots=s)); w.write(sys.argv[1])
PY
damaged "histogram name not NUL-terminated" "bad histogram name" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.hist("n" * 32, [5])); w.write(sys.argv[1])
PY
damaged "stage declared twice" "stage number declared twice" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.stage(0, "b")); w.write(sys.argv[1])
PY
damaged "histogram name used twice" "name used twice" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); w.hist("a_ns", [5]); print(w.hist("a_ns", [5])); w.write(sys.argv[1])
PY
damaged "record before the log's start (out of order)" "before the log's start" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.slices([(0, 10, 500, 1, 1, 1, 0, 1)])); w.write(sys.argv[1])
PY
damaged "slice of an undeclared stage" "undeclared stage number" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.slices([(1, 10, 5000, 1, 1, 1, 0, 1)])); w.write(sys.argv[1])
PY
damaged "record of an undeclared kind" "undeclared kind" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.event(0x123, 5000, [1, 2])); w.write(sys.argv[1])
PY
damaged "zs_race record one field short (12 of 13 values)" "size|fields" <<'PY'
import sys, pmlog
w = pmlog.Writer(tool="zsmigrate"); w.stage(0, "a")
w.kind(0x301, pmlog.EVENT, "zs_race", [("f%d" % i, "", pmlog.F_ID) for i in range(13)])
w.event(0x301, 5000, list(range(13))); print(w.event(0x301, 6000, list(range(12)))); w.write(sys.argv[1])
PY
damaged "zs_race label for a field the kind lacks" "label" <<'PY'
import sys, pmlog
w = pmlog.Writer(tool="zsmigrate"); w.stage(0, "a")
w.kind(0x301, pmlog.EVENT, "zs_race", [("check", "", pmlog.F_ENUM)])
print(w.label(0x301, 3, 0, "handle_old_page")); w.write(sys.argv[1])
PY
damaged "zs_migration span declared twice" "declared twice" <<'PY'
import sys, pmlog
w = pmlog.Writer(tool="zsmigrate"); w.stage(0, "a")
w.kind(0x300, pmlog.SPAN, "zs_migration", [("dur", "ns", 0)])
print(w.kind(0x300, pmlog.SPAN, "zs_migration", [("dur", "ns", 0)])); w.write(sys.argv[1])
PY
damaged "counter unavailable with a value" "counter with a bad availability" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a"); print(w.counter("c", 5, available=0)); w.write(sys.argv[1])
PY
damaged "version 2 log with a bad histogram" "count disagrees with its slots" <<'PY'
import sys, pmlog
w = pmlog.Writer(version=2); w.stage(0, "a"); print(w.hist("a_ns", [90, 100], count=1000)); w.write(sys.argv[1])
PY

bad() {	# bad NAME PATTERN FILE: report exits 1 with a message
	local o rc
	o=$("$P" report "$3" 2>&1 >/dev/null)
	rc=$?
	if [ $rc = 1 ] && grep -qE -- "$2" <<<"$o"; then
		ok "$1 (exit 1: ${o#pagemove: })"
	else
		ko "$1" "exit $rc: $o"
	fi
}
at=$("$PY" - "$tmp/ovf.log" <<'PY'
import sys, pmlog
w = pmlog.Writer(); w.stage(0, "a")
w.kind(0x100, pmlog.EVENT, "e", [("bytes", "bytes", 0)])
w.event(0x100, 5000, [2 ** 63]); print(w.event(0x100, 6000, [2 ** 63])); w.write(sys.argv[1])
PY
)
bad "report: a declared field's values overflow their sum" "overflow their sum: e at offset $at" "$tmp/ovf.log"
size=$(stat -c %s "$pl")
: >"$tmp/empty"
bad "empty file" "empty file" "$tmp/empty"
bad "missing file" "cannot open" "$tmp/nonexistent"
for cut in 4 100 256 300 $((size / 2)) $((size - 1)); do
	head -c $cut "$pl" >"$tmp/cut"
	bad "truncated at $cut bytes" "magic|truncated" "$tmp/cut"
done
cp "$pl" "$tmp/v4"
printf '\004' | dd of="$tmp/v4" bs=1 seek=8 conv=notrunc status=none
bad "newer version" "version 4, this build reads versions 2 to 3" "$tmp/v4"
printf '\001' | dd of="$tmp/v4" bs=1 seek=8 conv=notrunc status=none
bad "older version (80-byte stage records)" "version 1, this build reads versions 2 to 3" "$tmp/v4"
cp "$pl" "$tmp/type"
printf '\377' | dd of="$tmp/type" bs=1 seek=256 conv=notrunc status=none
bad "unknown record type" "unknown record type at offset 256" "$tmp/type"
head -c 256 /dev/urandom >"$tmp/random"
bad "random bytes" "bad magic" "$tmp/random"
o=$("$P" diff "$pl" 2>&1); rc=$?
[ $rc = 2 ] && ok "diff with one file: usage, exit 2" || ko "diff with one file" "exit $rc"
o=$("$P" plot "$pl" 2>&1); rc=$?
[ $rc = 2 ] && grep -q usage <<<"$o" && ok "plot without -o: usage, exit 2" || ko "plot without -o" "exit $rc"
o=$("$P" timeline "$pl" -o /nonexistent/dir/t.json 2>&1); rc=$?
[ $rc = 1 ] && grep -q "cannot create" <<<"$o" && ok "timeline to an unwritable path: message, exit 1" ||
	ko "timeline to an unwritable path" "exit $rc: $o"
o=$("$P" timeline "$pl" -o /dev/full 2>&1); rc=$?
[ $rc = 1 ] && grep -q "No space left" <<<"$o" && ok "timeline to a full disk: message, exit 1" ||
	ko "timeline to a full disk" "exit $rc: $o"

echo "$passed passed, $failed failed"
[ $failed = 0 ]
