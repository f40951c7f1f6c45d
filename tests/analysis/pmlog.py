#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""An independent reader and writer of pagemove event logs, versions 2 and 3.

Written from the specification in include/pagemove/log_format.h and
hist_format.h, not from lib/log.c or lib/hist.c: the analysis tests
compare what `pagemove` prints with what this module computes, and write
crafted logs (hostile names, inconsistent histograms) that the C writer
refuses to write.  It checks less than the C reader: it is a second
opinion on the numbers, not a validator.
"""
import math
import struct

MAGIC = b"PMVLOG\r\n"
HDR = struct.Struct("<8sII32s72sIIQQ112s")      # 256 bytes
REC = struct.Struct("<HHIQ")                    # type, size, cpu, ts_ns
SUB_BITS = 3
SUB = 1 << SUB_BITS
SLOTS = (64 - SUB_BITS + 1) * SUB               # 496
SLICES, HIST, COUNTER, END, NAME, DECLARE, LABEL = 1, 2, 3, 4, 5, 6, 7
STAGE, EVENT, SPAN = 1, 2, 3
F_ENUM, F_ID = 1, 2
KIND_MIN, OPTIONAL = 0x100, 0x8000


# --- the histogram, from hist_format.h's description ---------------------------

def slot(v):
    """Values below 8 get a slot each; [2^e, 2^(e+1)) splits into 8 equal slots."""
    if v < SUB:
        return v
    e = v.bit_length() - 1
    k = (v - (1 << e)) * SUB >> e
    return SUB * (e - SUB_BITS + 1) + k


def slot_low(s):
    if s < SUB:
        return s
    e = s // SUB + SUB_BITS - 1
    return (1 << e) + (s % SUB) * ((1 << e) // SUB)


def slot_high(s):
    return 2 ** 64 - 1 if s + 1 == SLOTS else slot_low(s + 1) - 1


def percentile_bounds(slots, count, pct):
    """The slot bounds the pct-th percentile (rank ceil(pct/100*count)) lies in."""
    rank = max(1, math.ceil(pct / 100.0 * count))
    seen = 0
    for s, n in enumerate(slots):
        if n and seen + n >= rank:
            return slot_low(s), slot_high(s)
        seen += n
    raise ValueError("rank beyond the slots")


def cstr(b):
    return b.split(b"\0", 1)[0].decode("ascii", "replace")


# --- reading -------------------------------------------------------------------

class Log:
    def __init__(self, path):
        b = open(path, "rb").read()
        (magic, self.version, hsize, tool, kernel, self.clock, self.flags, self.start_ns,
         self.lost_hdr, hooks) = HDR.unpack_from(b, 0)
        assert magic == MAGIC and hsize == 256 and self.version in (2, 3), (magic, self.version)
        self.tool, self.kernel, self.hooks = cstr(tool), cstr(kernel), cstr(hooks)
        self.stages = {}        # id -> name, in declaration order
        self.slices = []        # dicts, in log order
        self.hists = {}         # name -> dict(unit, count, sum, max, slots), log order
        self.counters = {}      # name -> dict(unit, value, available)
        self.kinds = {}         # type -> dict(name, cls, fields=[(name, unit, flags)])
        self.labels = {}        # (type, field, value) -> name
        self.events = []        # (type, cpu, ts, values)
        self.records = 0
        self.skipped = 0
        off = 256
        while True:
            t, size, cpu, ts = REC.unpack_from(b, off)
            p = b[off + 16:off + 16 + size]
            assert len(p) == size, "truncated"
            off += 16 + size
            if t == END:
                self.lost, nrec = struct.unpack("<QQ", p)
                assert nrec == self.records and off == len(b)
                break
            self.records += 1
            if t == SLICES:
                self._slices(p)
            elif t == NAME and self.version == 2:
                sid, _ = struct.unpack_from("<II", p)
                self.stages[sid] = cstr(p[8:40])
            elif t == DECLARE:
                cls, did, nf, _ = struct.unpack_from("<HHHH", p)
                name, unit = cstr(p[8:40]), cstr(p[40:56])
                if cls == STAGE:
                    assert unit == "ns"
                    self.stages[did] = name
                else:
                    fields = []
                    for i in range(nf):
                        q = p[56 + 48 * i:56 + 48 * (i + 1)]
                        fields.append((cstr(q[:24]), cstr(q[24:40]),
                                       struct.unpack_from("<I", q, 40)[0]))
                    self.kinds[did] = dict(name=name, cls=cls, fields=fields)
            elif t == LABEL:
                kind, field, _, value = struct.unpack_from("<HHIQ", p)
                self.labels[(kind, field, value)] = cstr(p[16:48])
            elif t == HIST:
                unit, h = ("ns", p[32:]) if self.version == 2 else (cstr(p[32:48]), p[48:])
                c, s, m = struct.unpack_from("<QQQ", h)
                slots = list(struct.unpack_from("<%dQ" % SLOTS, h, 24))
                self.hists[cstr(p[:32])] = dict(unit=unit, count=c, sum=s, max=m, slots=slots)
            elif t == COUNTER:
                unit, q = ("", p[32:]) if self.version == 2 else (cstr(p[32:48]), p[48:])
                v, avail, _ = struct.unpack_from("<QII", q)
                self.counters[cstr(p[:32])] = dict(unit=unit, value=v, available=avail)
            elif t in self.kinds:
                self.events.append((t, cpu, ts, struct.unpack("<%dQ" % (size // 8), p)))
            elif t & OPTIONAL:
                self.skipped += 1
            else:
                raise ValueError("unknown record type %d at %d" % (t, off - 16 - size))

    def _slices(self, p):
        n = struct.unpack_from("<I", p)[0]
        a8 = lambda x: (x + 7) & ~7
        st = 8
        dur = st + a8(n)
        end = dur + 8 * n
        op = end + 8 * n
        pid = op + 8 * n
        tgid = pid + a8(4 * n)
        cpu = tgid + a8(4 * n)
        pages = cpu + a8(4 * n)
        col = lambda at, fmt: struct.unpack_from("<%d%s" % (n, fmt), p, at)
        for i, (s, d, e, o, pi, tg, c, pg) in enumerate(zip(
                p[st:st + n], col(dur, "Q"), col(end, "Q"), col(op, "Q"), col(pid, "I"),
                col(tgid, "I"), col(cpu, "I"), col(pages, "I"))):
            self.slices.append(dict(stage=self.stages[s], dur=d, end=e, op=o, pid=pi, tgid=tg,
                                    cpu=c, pages=pg))

    def slice_hists(self):
        """Per stage name: (count, sum, max, slots) built from the slices here."""
        out = {}
        for s in self.slices:
            c = out.setdefault(s["stage"], [0, 0, 0, [0] * SLOTS])
            c[0] += 1
            c[1] += s["dur"]
            c[2] = max(c[2], s["dur"])
            c[3][slot(s["dur"])] += 1
        return out


# --- writing (crafted logs for the tests) --------------------------------------

def pad(s, n):
    b = s if isinstance(s, bytes) else s.encode("latin-1")
    return b[:n].ljust(n, b"\0")


class Writer:
    """Writes whatever it is given, right or wrong: the tests' crafted logs."""

    def __init__(self, version=3, tool="crafted", kernel="7.3.0", hooks="stages=none",
                 start_ns=1000):
        self.version = version
        self.start_ns = start_ns
        self.hdr = [MAGIC, version, 256, pad(tool, 32), pad(kernel, 72), 1, 0, start_ns, 0,
                    pad(hooks, 112)]
        self.recs = []

    def rec(self, t, payload, ts=None, cpu=0):
        self.recs.append(REC.pack(t, len(payload), cpu, self.start_ns if ts is None else ts)
                         + payload)
        return 256 + sum(len(r) for r in self.recs[:-1])     # its offset

    def stage(self, sid, name):
        if self.version == 2:
            return self.rec(NAME, struct.pack("<II", sid, 0) + pad(name, 32))
        return self.rec(DECLARE, struct.pack("<HHHH", STAGE, sid, 0, 0) + pad(name, 32) +
                        pad("ns", 16))

    def kind(self, t, cls, name, fields):
        p = struct.pack("<HHHH", cls, t, len(fields), 0) + pad(name, 32) + pad("", 16)
        for fname, unit, flags in fields:
            p += pad(fname, 24) + pad(unit, 16) + struct.pack("<II", flags, 0)
        return self.rec(DECLARE, p)

    def label(self, t, field, value, name):
        return self.rec(LABEL, struct.pack("<HHIQ", t, field, 0, value) + pad(name, 32))

    def event(self, t, ts, values, cpu=0):
        return self.rec(t, struct.pack("<%dQ" % len(values), *values), ts=ts, cpu=cpu)

    def slices(self, rows):
        """rows: (stage, dur, end, op, pid, tgid, cpu, pages)"""
        n = len(rows)
        a8 = lambda b: b.ljust((len(b) + 7) & ~7, b"\0")
        cols = list(zip(*rows))
        p = struct.pack("<II", n, 0) + a8(bytes(cols[0]))
        for i in (1, 2, 3):
            p += struct.pack("<%dQ" % n, *cols[i])
        for i in (4, 5, 6, 7):
            p += a8(struct.pack("<%dI" % n, *cols[i]))
        return self.rec(SLICES, p, ts=rows[-1][2], cpu=rows[-1][6])

    def hist(self, name, values=(), unit="ns", count=None, sum_=None, max_=None, slots=None):
        sl = [0] * SLOTS
        for v in values:
            sl[slot(v)] += 1
        sl = slots if slots is not None else sl
        c = len(values) if count is None else count
        s = sum(values) if sum_ is None else sum_
        m = max(values, default=0) if max_ is None else max_
        body = struct.pack("<QQQ", c, s, m) + struct.pack("<%dQ" % SLOTS, *sl)
        u = b"" if self.version == 2 else pad(unit, 16)
        return self.rec(HIST, pad(name, 32) + u + body, ts=self.start_ns + 10)

    def counter(self, name, value, available=1, unit=""):
        u = b"" if self.version == 2 else pad(unit, 16)
        return self.rec(COUNTER, pad(name, 32) + u + struct.pack("<QII", value, available, 0),
                        ts=self.start_ns + 10)

    def write(self, path, end=True):
        b = HDR.pack(*self.hdr) + b"".join(self.recs)
        if end:
            b += REC.pack(END, 16, 0, 0) + struct.pack("<QQ", 0, len(self.recs))
        open(path, "wb").write(b)
