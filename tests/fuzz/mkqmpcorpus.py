#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the committed seeds of fuzz_qmp (tests/fuzz/qmp-corpus) from the
real QEMU 7.2 output in tests/data/qmp/*.qmp (recorded with socat -R
between balloonctl and QEMU): each stream under each of the harness's
sessions (byte 1: 0 raw, 1 caps, 2 query, 3 set) and read 1, 7 and 256
bytes at a time (byte 0 + 1), plus a few cut or bent copies a fuzzer
would take long to find.  Rerun after adding a recording; commit the result."""
import glob, os, re
here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "qmp-corpus")
os.makedirs(out, exist_ok=True)
for f in glob.glob(os.path.join(out, "*")):
    os.unlink(f)


def save(name, chunk, session, data):
    with open(os.path.join(out, "%s-c%d-s%d" % (name, chunk, session)), "wb") as f:
        f.write(bytes([chunk - 1, session]) + data)


for path in sorted(glob.glob(os.path.join(here, "..", "data", "qmp", "*.qmp"))):
    name = os.path.basename(path)[:-4]
    data = open(path, "rb").read()
    for session in range(4):
        for chunk in (1, 7, 256):
            save(name, chunk, session, data)
    lines = data.split(b"\n")
    # cut in the middle of the last message, and without the last "\n"
    save(name + "-cut", 256, 3, data[:len(data) - len(lines[-2]) // 2 - 2])
    save(name + "-nonl", 7, 3, data.rstrip(b"\n"))
    # the values of the wrong type, too big, negative
    for tag, new in ((b"str", b'"268435456"'), (b"big", b"1" * 30), (b"neg", b"-4096"),
                     (b"real", b"2.5e8")):
        save(name + "-" + tag.decode(), 256, 3, re.sub(rb'"actual": [0-9]+', b'"actual": ' + new, data))
