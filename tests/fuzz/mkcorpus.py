#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the committed fuzz corpus (tests/fuzz/corpus): small crafted logs,
valid and not, each one byte sequence a fuzzer would take long to find:
hostile names (newline + !cmd / system "cmd") in each string, inconsistent
histograms, a v3 log of another tracer.  The real logs of tests/data are
copied beside them.  Rerun after a format change and commit the result."""
import os, shutil, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "analysis"))
import pmlog

out = os.path.join(here, "corpus")
os.makedirs(out, exist_ok=True)
for f, v in (("migratevma-patched.log", "v2"), ("migratevma-stock.log", "v2"),
             ("migratevma-stock-v3.log", "v3"), ("balloonlat-patched-inflate.log", "v3"),
             ("balloonlat-stock-deflate.log", "v3"), ("balloonlat-host-inflate.log", "v3")):
    shutil.copy(os.path.join(here, "..", "data", f), os.path.join(out, v + "-" + f))


def base(version=3, **kw):
    w = pmlog.Writer(version=version, **kw)
    w.stage(0, "collect")
    w.stage(1, "copy")
    w.slices([(0, 10, 2000, 1, 1, 1, 0, 1), (1, 900, 2900, 1, 1, 1, 0, 1)])
    return w


def save(name, w):
    w.write(os.path.join(out, name + ".log"))


w = base(tool="balloonlat")
w.kind(0x100, pmlog.SPAN, "request", [("dur", "ns", 0), ("pfns", "pages", 0), ("vq", "", pmlog.F_ENUM)])
w.label(0x100, 2, 0, "inflateq")
w.event(0x100, 5000, [400, 256, 0])
w.kind(0x101, pmlog.EVENT, "race", [("kind", "", pmlog.F_ENUM), ("handle", "", pmlog.F_ID)])
w.event(0x101, 6000, [3, 0xdead])
w.rec(pmlog.OPTIONAL | 9, b"\0" * 16)
w.hist("collect_ns", [10])
w.hist("copy_ns", [900])
w.hist("pfns", [256], unit="pages")
w.counter("inflates", 1, unit="requests")
save("v3-kinds", w)
for field in ("stage", "histogram", "tool", "kernel"):
    for payload, evil in (("bang", "x\n!id\n"), ("system", "x\nsystem \"id\"\n")):
        kw = {field: evil} if field in ("tool", "kernel") else {}
        w = pmlog.Writer(**kw)
        w.stage(0, evil if field == "stage" else "a")
        w.slices([(0, 10, 2000, 1, 1, 1, 0, 1)])
        w.hist(evil + "_ns" if field == "histogram" else "a_ns", [10])
        save("hostile-%s-%s" % (field, payload), w)
w = base(); w.hist("collect_ns", [90, 100], count=1000); save("hist-count-1000", w)
w = base(); w.hist("collect_ns", [], count=5, sum_=4022, max_=4022); save("hist-empty-slots", w)
w = base(); w.hist("collect_ns", [90, 100], max_=5000); save("hist-max-out", w)
w = base(version=2); w.hist("collect_ns", [90, 100], sum_=1); save("v2-hist-sum-out", w)
# printable names gnuplot must still get as data: quotes, backquotes, $( )
w = pmlog.Writer(tool="t'x`id`", kernel="k$(id)'", hooks="h=\"!\"")
w.stage(0, "a\"b\\c,d'e")
w.slices([(0, 10, 2000, 1, 1, 1, 0, 1)])
w.hist("a'b\\c_ns", [10])
w.counter("`id` $(id) ;", 1)
save("odd-printable-names", w)
