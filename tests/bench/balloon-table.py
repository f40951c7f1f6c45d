#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The balloon latency table: seed 001's four rows and the rest of the wall time.

usage: balloon-table.py [--check] [-o JSON] [--pmstat PMSTAT] OUT VMLOG...

OUT holds what tests/vm/balloonlat.sh (guest) and
tests/bench/balloon-table-host.sh (host) wrote for each kernel K, round R
and direction D: bl-host-K-R-D.json (balloonlat -H tracepoint on QEMU),
ctl-K-R-D.json (balloonctl set --json); the guest's balloonlat JSON comes
from the "bt-guest ..." lines of each VMLOG (the VM's output).

Each row is a share of balloonctl's wall time (host CLOCK_MONOTONIC from
the QMP balloon command until actual == target):
  allocating pages   guest, sum of balloon_page_alloc() (fentry) or batch
                     start .. last mm_page_alloc (tp_btf)
  enqueue / dequeue  guest, balloon list and accounting (balloon_page_
                     enqueue/dequeue, fentry; batch events, tp_btf)
  releasing pages    deflate: the ack .. leak_balloon()'s end (put_page)
  sending PFNs       guest tell_host() round trips (buffer, kick, ack)
                     less what the host did meanwhile (see the note)
  host translation   QEMU's virtio_balloon_handle_output() less its
                     madvise/fallocate (uprobe; unavailable if stripped)
  host madvise       QEMU's madvise()+fallocate() (syscall tracepoints)
  config/actual      the rest of each driver round: config reads/writes
  other              wall less the guest's rounds: work scheduling between
                     rounds, QMP, BALLOON_CHANGE's delay (<= 1 s)
Medians and min-max over the rounds (build/bin/pmstat).  --check: the
counting checks of make check instead (PASS:/FAIL: lines, exit 1 on a
failure).
"""
import argparse
import json
import os
import re
import subprocess
import sys

ROWS = [
    ("alloc", "allocating pages", "guest clock; fentry balloon_page_alloc | tp_btf batch_begin..last mm_page_alloc"),
    ("list", "enqueue/dequeue", "guest clock; fentry balloon_page_enqueue/dequeue | tp_btf batch events"),
    ("release", "releasing pages", "guest clock; tell_host end..leak_balloon end | batch_end"),
    ("send", "sending PFNs to host", "guest clock; tell_host round trips (fentry/fexit | tp_btf tell_host_begin/end) - host rows"),
    ("translation", "host address translation", "host clock; uprobe virtio_balloon_handle_output - madvise/fallocate"),
    ("madvise", "host madvise", "host clock; syscalls:sys_enter/exit_madvise+fallocate, QEMU pid"),
    ("config", "config/actual update", "guest clock; rest of update_balloon_size_func rounds"),
    ("other", "other", "host wall - guest rounds (work requeue, QMP, BALLOON_CHANGE <= 1 s late)"),
]


def fail(msg):
    print("balloon-table: %s" % msg, file=sys.stderr)
    sys.exit(1)


def load(path):
    try:
        with open(path) as f:
            return json.loads(f.read())
    except (OSError, ValueError) as e:
        fail("%s: %s" % (path, e))


def ssum(j, stage):
    s = j["stages_ns"].get(stage)
    return s["sum"] if s else 0


def guest_lines(vmlogs):
    """{(kernel, round, dir): {"vmstat":N, "bpftrace":N|None, "json":{}}}"""
    runs = {}
    pat = re.compile(r"^bt-guest kernel=(\S+) round=(\d+) dir=(\w+) vmstat=(-?\d+) "
                     r"bpftrace=(\S+) json=(.*)$")
    for path in vmlogs:
        with open(path, errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = pat.match(line.rstrip("\r\n"))
                if not m:
                    continue
                try:
                    j = json.loads(m.group(6))
                except ValueError as e:
                    fail("%s:%d: guest balloonlat JSON: %s" % (path, n, e))
                bt = m.group(5)
                runs[(m.group(1), int(m.group(2)), m.group(3))] = {
                    "vmstat": int(m.group(4)),
                    "bpftrace": int(bt) if bt.isdigit() else None, "json": j}
    return runs


def rows_of(g, h, ctl, direction):
    """The rows of one run, in ns (None: unavailable), and its wall."""
    tell = ssum(g, "tell_" + direction)
    madv = ssum(h, "madvise") + ssum(h, "fallocate")
    handle = h["stages_ns"].get("qemu_handle")
    r = {}
    # A row of the other direction is left out (printed "-").
    if direction == "inflate":
        r["alloc"] = ssum(g, "alloc")
        r["list"] = ssum(g, "enqueue")
    else:
        r["list"] = ssum(g, "dequeue")
        r["release"] = ssum(g, "release")
    if handle:
        r["translation"] = max(handle["sum"] - madv, 0)
        r["send"] = max(tell - handle["sum"], 0)
    else:
        r["translation"] = None
        r["send"] = max(tell - madv, 0)
    r["madvise"] = madv
    r["config"] = ssum(g, "config")
    wall = ctl["wall_ns"]
    r["other"] = wall - ssum(g, "round")
    return r, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("-o", dest="json_out")
    ap.add_argument("--pmstat", default="build/bin/pmstat")
    ap.add_argument("out")
    ap.add_argument("vmlogs", nargs="+")
    a = ap.parse_args()
    guest = guest_lines(a.vmlogs)
    if not guest:
        fail("no bt-guest lines in %s" % " ".join(a.vmlogs))
    runs = []
    for (k, rnd, d), gl in sorted(guest.items()):
        hp = os.path.join(a.out, "bl-host-%s-%d-%s.json" % (k, rnd, d))
        cp = os.path.join(a.out, "ctl-%s-%d-%s.json" % (k, rnd, d))
        h, ctl = load(hp), load(cp)
        rows, wall = rows_of(gl["json"], h, ctl, d)
        runs.append({"kernel": k, "round": rnd, "dir": d, "wall_ns": wall, "rows_ns": rows,
                     "guest": gl, "host": h, "ctl": ctl})
    if a.check:
        sys.exit(check(runs, a.out))
    table(runs, a)


def check(runs, out):
    failed = 0

    def res(ok, name, why):
        nonlocal failed
        if ok:
            print("PASS: %s" % name)
        else:
            print("FAIL: %s: %s" % (name, why))
            failed += 1

    for r in runs:
        k, d, g, h, ctl = r["kernel"], r["dir"], r["guest"]["json"], r["host"], r["ctl"]
        tag = "balloonlat %s %s r%d (%s)" % (k, d, r["round"], g["hooks"])
        c = g["counts"]
        pfns = c["pfns_" + d]
        res(ctl.get("result") == "reached", tag + ": balloonctl reached the target",
            "result %s" % ctl.get("result"))
        res(c["incomplete"] == 0, tag + ": every request's buffers began and ended (incomplete 0)",
            "incomplete %s" % c["incomplete"])
        res(pfns == r["guest"]["vmstat"], tag + ": pfns = vmstat balloon_%s delta (%s)" % (d, pfns),
            "balloonlat %s, vmstat %s" % (pfns, r["guest"]["vmstat"]))
        qmp = abs(ctl["start_actual"] - ctl["actual"]) // 4096
        res(pfns == qmp, tag + ": pfns = QMP actual change / 4 KiB (%s)" % qmp,
            "balloonlat %s, QMP %s" % (pfns, qmp))
        bt = r["guest"]["bpftrace"]
        if bt is not None or r["round"] == 1:
            req = c["requests_" + d] + c["requests_outside_rounds"]
            res(bt is not None and req == bt,
                tag + ": requests = bpftrace kretfunc:tell_host count (%s)" % bt,
                "balloonlat %s, bpftrace %s" % (req, bt))
            hb = os.path.join(out, "bpftrace-host-%s-%s.txt" % (k, d))
            n = None
            if os.path.exists(hb):
                for line in open(hb):
                    if line.startswith("madvise_calls "):
                        n = int(line.split()[1])
            hc = h["counts"]
            got = hc["madvise_dontneed"] + hc["madvise_willneed"] + hc["madvise_other"]
            res(n is not None and got == n,
                tag + ": host madvise calls = bpftrace's count (%s)" % n,
                "balloonlat %s, bpftrace %s" % (got, n))
            want = "madvise_dontneed" if d == "inflate" else "madvise_willneed"
            # Every PFN discarded (hinted) at least once: bytes, as the
            # QEMU companion (patches/qemu) covers a run with one call.
            res(hc["madvise_bytes"] >= pfns * 4096,
                tag + ": QEMU's madvise covered every pfn (%s bytes)" % hc["madvise_bytes"],
                "madvise_bytes %s < %s pfns x 4096" % (hc["madvise_bytes"], pfns))
            if not k.endswith("_qemu"):	# stock QEMU: one call per pfn
                res(hc[want] >= pfns, tag + ": QEMU's %s calls >= pfns (%s)" % (want[8:], hc[want]),
                    "%s %s < %s pfns" % (want, hc[want], pfns))
        over = [n for n, v in r["rows_ns"].items() if v is not None and (v < 0 or v > r["wall_ns"])]
        res(not over, tag + ": every row within balloonctl's wall time",
            "rows %s outside 0..%d ns" % (over, r["wall_ns"]))
        res(ssum(g, "round") <= r["wall_ns"], tag + ": guest rounds <= wall",
            "rounds %d ns > wall %d ns" % (ssum(g, "round"), r["wall_ns"]))
    return 1 if failed else 0


def pmstat(path, lines):
    p = subprocess.run([path], input="".join(lines), capture_output=True, text=True)
    if p.returncode:
        fail("pmstat: %s" % p.stderr.strip())
    st = {}
    for line in p.stdout.splitlines():
        key, n, med, lo, hi = line.split()
        st[key] = {"n": int(n), "median": float(med), "min": float(lo), "max": float(hi)}
    return st


def table(runs, a):
    lines = []
    for r in runs:
        base = "%s|%s" % (r["kernel"], r["dir"])
        lines.append("%s|wall %d\n" % (base, r["wall_ns"]))
        for key, v in r["rows_ns"].items():
            if v is not None:
                lines.append("%s|%s %d\n" % (base, key, v))
        c = r["guest"]["json"]["counts"]
        lines.append("%s|pfns %d\n" % (base, c["pfns_" + r["dir"]]))
        lines.append("%s|requests %d\n" % (base, c["requests_" + r["dir"]]))
    for (k, d) in sorted({(r["kernel"], r["dir"]) for r in runs}):
        bare = os.path.join(a.out, "ctl-%s-0-%s.json" % (k, d))
        if os.path.exists(bare):
            lines.append("%s|%s|bare %d\n" % (k, d, load(bare)["wall_ns"]))
    st = pmstat(a.pmstat, lines)
    kernels = sorted({r["kernel"] for r in runs}, key=lambda k: (k != "stock", k))
    res = {"rows": [{"key": k, "name": n, "clock_hooks": h} for k, n, h in ROWS], "runs": [],
           "table": {}}
    for r in runs:
        res["runs"].append({"kernel": r["kernel"], "round": r["round"], "dir": r["dir"],
                            "wall_ns": r["wall_ns"], "rows_ns": r["rows_ns"],
                            "hooks": r["guest"]["json"]["hooks"]})
    for d in ("inflate", "deflate"):
        cols = [k for k in kernels if "%s|%s|wall" % (k, d) in st]
        if not cols:
            continue
        print("\n%s: median ms (min-max) and share of balloonctl's wall time" % d)
        hdr = "%-26s" % "row"
        for k in cols:
            w = st["%s|%s|wall" % (k, d)]
            hooks = next(r["guest"]["json"]["hooks"] for r in runs if r["kernel"] == k)
            hdr += " | %-32s" % ("%s (%s, %d runs)" % (k, hooks, w["n"]))
        print(hdr)
        for key, name, _ in ROWS + [("wall", "wall (balloonctl)", ""),
                                     ("bare", "wall, no tracer (round 0)", "")]:
            line = "%-26s" % name
            for k in cols:
                s = st.get("%s|%s|%s" % (k, d, key))
                wall = st["%s|%s|wall" % (k, d)]["median"]
                res["table"].setdefault(d, {}).setdefault(k, {})[key] = s
                other_dir = (key == "alloc" and d == "deflate") or (key == "release" and d == "inflate")
                other_dir = other_dir or key == "bare"   # not measured (BALLOONLAT_CHECK)
                if s is None:
                    line += " | %-32s" % ("-" if other_dir else "unavailable")
                else:
                    line += " | %-32s" % ("%9.1f (%.1f-%.1f) %5.1f%%" % (
                        s["median"] / 1e6, s["min"] / 1e6, s["max"] / 1e6,
                        100.0 * s["median"] / wall if wall else 0))
            print(line)
        for k in cols:
            p, q = st["%s|%s|pfns" % (k, d)], st["%s|%s|requests" % (k, d)]
            print("  %s: %d pfns in %d requests per run (median)" % (k, p["median"], q["median"]))
    print("\nRows and their clocks/hooks:")
    for key, name, h in ROWS:
        print("  %-26s %s" % (name, h))
    print("Note: under TCG QEMU handles a request inside the guest's kick (no ioeventfd),\n"
          "so the tell_host round trip contains the host's madvise (and translation);\n"
          "'sending PFNs to host' is tell_host less the host rows measured meanwhile.\n"
          "Without QEMU symbols the host's translation is not measured: it stays in\n"
          "'sending PFNs'.  Medians of each row need not add up to the median wall.\n"
          "Round 0 ran with no tracer on either side: the traced walls above less\n"
          "that one are the tracers' cost (fentry's four trampolines per page cost\n"
          "more than tp_btf's one mm_page_alloc event).")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
