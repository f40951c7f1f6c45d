#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host side of the balloon speed bench (ci/bench.sh, part "balloon").

Waits for the guest's "pagemove: bench-balloon ready" line in VM_LOG, then
ROUNDS times: asks QEMU over QMP for the guest's memory minus MIB MiB
(inflate), waits until query-balloon's `actual` is there, and gives it
back (deflate).  Wall time of each, from the `balloon` command to the
first query-balloon that shows the target, polled every 5 ms on one QMP
connection (QEMU rate-limits BALLOON_CHANGE events to one a second, too
coarse for this).  One line per measurement on stdout:
    bench-balloon config=C round=N op=inflate|deflate ms=T polls=P
Then creates DONE_FILE, which the guest waits for before it ends.

Replaces nothing: it is the bench's stopwatch until build/bin/balloonctl
(the project's QMP client) lands; QMP replies are parsed as JSON, a damaged
reply is reported with its byte offset and exit 1.

usage: balloon-speed-host.py QMP_SOCK VM_LOG CONFIG ROUNDS MIB DONE_FILE
"""
import json
import os
import socket
import sys
import time

TIMEOUT = float(os.environ.get('BALLOON_TIMEOUT', '600'))


def die(msg):
    print(f'balloon-speed-host: {msg}', file=sys.stderr)
    sys.exit(1)


class QMP:
    def __init__(self, path):
        deadline = time.monotonic() + 120
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.settimeout(30)
                self.s.connect(path)
                break
            except OSError as e:
                self.s.close()
                if time.monotonic() > deadline:
                    die(f'cannot connect to {path}: {e}')
                time.sleep(0.2)
        self.buf = b''
        self.offset = 0          # bytes of the stream consumed so far
        self.read_msg()          # greeting
        self.cmd('qmp_capabilities')

    def read_msg(self):
        while b'\n' not in self.buf:
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                die(f'no reply from QEMU within 30 s (stream offset {self.offset})')
            if not chunk:
                die(f'QMP socket closed (stream offset {self.offset})')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        start = self.offset
        self.offset += len(line) + 1
        try:
            msg = json.loads(line)
        except (ValueError, UnicodeDecodeError) as e:
            pos = getattr(e, 'pos', 0) or 0
            die(f'damaged QMP reply at stream offset {start + pos}: {e}')
        if not isinstance(msg, dict):
            die(f'QMP reply at stream offset {start} is not an object')
        return msg

    def cmd(self, name, **args):
        req = {'execute': name}
        if args:
            req['arguments'] = args
        self.s.sendall(json.dumps(req).encode() + b'\n')
        while True:
            msg = self.read_msg()
            if 'event' in msg:
                continue
            if 'error' in msg:
                die(f'{name}: {msg["error"]}')
            if 'return' not in msg:
                die(f'{name}: reply without return (stream offset {self.offset})')
            return msg['return']

    def actual(self):
        r = self.cmd('query-balloon')
        a = r.get('actual') if isinstance(r, dict) else None
        if not isinstance(a, int) or a < 0:
            die(f'query-balloon: no actual in {r!r}')
        return a


def wait_line(log, text):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            with open(log, 'rb') as f:
                for line in f:
                    if line.startswith(text.encode()):
                        return
        except OSError:
            pass
        time.sleep(0.5)
    die(f'timed out waiting for "{text}" in {log}')


def balloon_to(q, target):
    t0 = time.monotonic_ns()
    q.cmd('balloon', value=target)
    polls = 0
    deadline = time.monotonic() + TIMEOUT
    while True:
        polls += 1
        if q.actual() == target:
            return (time.monotonic_ns() - t0) / 1e6, polls
        if time.monotonic() > deadline:
            die(f'guest did not reach {target >> 20} MiB within {TIMEOUT:.0f} s')
        time.sleep(0.005)


def main():
    if len(sys.argv) != 7:
        print(__doc__.split('usage: ')[1].strip(), file=sys.stderr)
        sys.exit(2)
    sock, vmlog, config, rounds, mib, done = sys.argv[1:]
    try:
        rounds, mib = int(rounds), int(mib)
    except ValueError:
        print('balloon-speed-host: ROUNDS and MIB are numbers', file=sys.stderr)
        sys.exit(2)
    try:
        wait_line(vmlog, 'pagemove: bench-balloon ready')
        q = QMP(sock)
        full = q.actual()
        for r in range(1, rounds + 1):
            for op, target in (('inflate', full - (mib << 20)), ('deflate', full)):
                ms, polls = balloon_to(q, target)
                print(f'bench-balloon config={config} round={r} op={op} '
                      f'ms={ms:.1f} polls={polls}', flush=True)
                time.sleep(1)
    finally:
        with open(done, 'w') as f:
            f.write('done\n')


main()
