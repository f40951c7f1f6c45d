#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A fake QEMU QMP monitor for balloonctl's tests (tests/tools/balloonctl.sh).

usage: fakeqmp.py SOCKET SCENARIO [LOG]

Listens on SOCKET, serves one client (scenario "guest": one after the
other, the guest's memory kept between them), speaks QMP as QEMU 7.2 does (greeting,
qmp_capabilities, query-balloon, balloon, BALLOON_CHANGE events; replies and
events one JSON object per line, "\\r\\n"), then misbehaves as SCENARIO says.
The guest starts at 1024 MiB.  LOG (if given) gets one line per
BALLOON_CHANGE sent, "event ACTUAL", and "query ACTUAL" per query-balloon
answered: what balloonctl must report, written independently of it.
"""
import json, os, select, socket, sys, time

MIB = 1 << 20
sock_path, scenario = sys.argv[1], sys.argv[2]
log = open(sys.argv[3], "w", buffering=1) if len(sys.argv) > 3 else None
GREETING = {"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7},
                                "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"},
                    "capabilities": ["oob"]}}

actual = 1024 * MIB
pending = []            # (when, kind, payload): scheduled sends
conn = None


def note(s):
    if log:
        log.write(s + "\n")


def raw(b):
    """Send bytes; in the split scenarios, in small pieces with pauses."""
    if scenario in ("split", "interleave"):
        for i in range(0, len(b), 7):
            conn.sendall(b[i:i + 7])
            time.sleep(0.002)
    else:
        conn.sendall(b)


def send(obj):
    raw(json.dumps(obj).encode() + b"\r\n")


def event(value, delay):
    pending.append((time.monotonic() + delay, "event", value))


def fire_event(value):
    global actual
    actual = value
    note("event %d" % value)
    send({"timestamp": {"seconds": int(time.time()), "microseconds": 0},
          "event": "BALLOON_CHANGE", "data": {"actual": value}})


def reply(req, ret):
    r = {"return": ret}
    if "id" in req:
        r["id"] = req["id"]
    send(r)


def steps(start, target, n, gap):
    """n BALLOON_CHANGE events from start to target, gap seconds apart."""
    for i in range(1, n + 1):
        v = start + (target - start) * i // n
        event(v - v % 4096, gap * i)


def on_balloon(req, target):
    s = scenario
    if s == "error":
        send({"id": req.get("id"), "error": {"class": "DeviceNotActive",
                                              "desc": "No balloon device has been activated"}})
        return
    if s == "close-mid":
        conn.sendall(b'{"return": {}, "i')
        raise SystemExit(0)
    if s == "interleave":
        # an unrelated event and a BALLOON_CHANGE before the reply
        send({"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RTC_CHANGE",
              "data": {"offset": 0, "qom-path": "/machine/unattached/device[8]"}})
        fire_event(actual + (target - actual) // 4 // 4096 * 4096)
    reply(req, {})
    if s in ("reach", "split", "interleave") or (s == "guest" and target >= 512 * MIB):
        steps(actual, target, 4, 0.1)
    elif s == "guest":                  # the driver runs out of pages half way
        steps(actual, actual + (target - actual) // 2, 2, 0.1)
    elif s == "throttle":               # as QEMU's rate limit: actual moves, the event later
        for i in range(1, 5):
            v = actual + (target - actual) * i // 4
            pending.append((time.monotonic() + 0.1 * i, "silent", v - v % 4096))
        event(target, 1.4)
    elif s == "never":                  # half way, then nothing
        steps(actual, actual + (target - actual) // 2, 2, 0.1)
    elif s == "repeat":                 # events keep coming, actual stays
        for i in range(1, 60):
            event(actual + (target - actual) // 2 // 4096 * 4096, 0.1 * i)
    elif s == "slow":                   # one page every 0.1 s: never there
        for i in range(1, 100):
            event(actual + (4096 if target > actual else -4096) * i, 0.1 * i)
    elif s == "close-after":
        steps(actual, actual + (target - actual) // 2, 1, 0.05)
        pending.append((time.monotonic() + 0.3, "close", None))
    elif s == "wrong-event":
        pending.append((time.monotonic() + 0.05, "raw",
                        b'{"event": "BALLOON_CHANGE", "data": {"actual": "12"}, '
                        b'"timestamp": {"seconds": 1, "microseconds": 2}}\r\n'))
    elif s == "negative-event":
        pending.append((time.monotonic() + 0.05, "raw",
                        b'{"event": "BALLOON_CHANGE", "data": {"actual": -4096}}\r\n'))
    elif s == "real-event":
        pending.append((time.monotonic() + 0.05, "raw",
                        b'{"event": "BALLOON_CHANGE", "data": {"actual": 1e9}}\r\n'))
    elif s == "stray-reply":
        pending.append((time.monotonic() + 0.05, "raw", b'{"return": {}, "id": "x"}\r\n'))
    elif s == "event-garbage":
        steps(actual, actual + (target - actual) // 2, 1, 0.05)
        pending.append((time.monotonic() + 0.2, "raw", b'{"event": "BALLOON_CH\x00NGE"}\r\n'))


def on_query(req):
    s = scenario
    if s == "garbage":
        raw(b"garbage\r\n")
    elif s == "no-newline":             # a whole reply, then the end, no "\r\n"
        conn.sendall(json.dumps({"return": {"actual": actual}, "id": req["id"]}).encode())
        raise SystemExit(0)
    elif s == "huge":
        conn.sendall(b'{"return": {"actual": 1, "x": "' + b"A" * (2 * MIB) + b'"}}\r\n')
    elif s == "deep":
        conn.sendall(b"[" * 200000 + b"]" * 200000 + b"\r\n")
    elif s == "array":
        raw(b"[1, 2, 3]\r\n")
    elif s == "dup":
        raw(b'{"return": {"actual": 1, "actual": 2}, "id": "%s"}\r\n' % req["id"].encode())
    elif s == "wrong-type":
        reply(req, {"actual": str(actual)})
    elif s == "big-int":
        raw(b'{"return": {"actual": 123456789012345678901234567890}, "id": "%s"}\r\n'
            % req["id"].encode())
    elif s == "wrong-id":
        send({"return": {"actual": actual}, "id": "pm-999"})
    elif s == "no-id":
        send({"return": {"actual": actual}})
    elif s == "bad-error":
        send({"id": req["id"], "error": {"class": 7, "desc": None}})
    elif s == "both":
        send({"id": req["id"], "return": {"actual": actual}, "event": "X"})
    elif s == "trickle-reply":          # a reply that never ends
        conn.sendall(b'{"return": ')
        pending.append((time.monotonic() + 0.2, "trickle", None))
    else:
        note("query %d" % actual)
        reply(req, {"actual": actual})


def handle(req):
    cmd = req.get("execute")
    if cmd == "qmp_capabilities":
        if scenario == "no-caps-reply":
            return
        reply(req, {})
    elif cmd == "query-balloon":
        on_query(req)
    elif cmd == "balloon":
        on_balloon(req, req["arguments"]["value"])
    else:
        send({"id": req.get("id"), "error": {"class": "CommandNotFound",
                                              "desc": "The command %s has not been found" % cmd}})


def serve(srv):
    global conn, actual
    conn, _ = srv.accept()
    pending.clear()
    if scenario == "silent":            # no greeting at all
        time.sleep(30)
        return
    if scenario == "trickle":           # a greeting that never ends
        for c in json.dumps(GREETING).encode() * 100:
            conn.sendall(bytes([c]))
            time.sleep(0.05)
        return
    if scenario == "not-greeting":
        send({"return": {}})
    else:
        send(GREETING)
    buf = b""
    end = time.monotonic() + 30
    while time.monotonic() < end:
        pending.sort(key=lambda p: p[0])
        timeout = max(0, pending[0][0] - time.monotonic()) if pending else 1
        r, _, _ = select.select([conn], [], [], timeout)
        if r:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    handle(json.loads(line))
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, kind, payload = pending.pop(0)
            if kind == "event":
                fire_event(payload)
            elif kind == "silent":
                actual = payload
            elif kind == "raw":
                conn.sendall(payload)
            elif kind == "trickle":
                conn.sendall(b" ")
                pending.append((now + 0.2, "trickle", None))
            elif kind == "close":
                conn.close()
                return


def main():
    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    srv.settimeout(30)
    while True:
        try:
            serve(srv)
        except (BrokenPipeError, ConnectionResetError):
            pass
        conn.close()
        if scenario != "guest":
            return


try:
    main()
except (SystemExit, BrokenPipeError, ConnectionResetError, TimeoutError):
    pass
