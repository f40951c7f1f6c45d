#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`: hmmbench throughput without and with
# migratevma attached, alternating, ROUNDS times (64 MiB, 4 KiB pages,
# 3 hmmbench rounds each).  One line per measurement:
#   bench-mv kernel=K tracer=off|on round=N dir=to_dev|to_sys mibs=X
# then the tracer's in-kernel time over one traced run:
#   bench-mv-bpf kernel=K hooks=H migrations=M bpf_ns=X ioctl_ns=Y
set -u
rounds=${1:-5}
B=${PAGEMOVE_TOP:?}/build/bin
kernel=${PAGEMOVE_KERNEL:?}
cd /tmp || exit 1
for r in $(seq "$rounds"); do
	for t in off on; do
		if [ $t = on ]; then
			"$B/migratevma" -- "$B/hmmbench" -s 64 -r 3 >run.txt 2>run.err
		else
			"$B/hmmbench" -s 64 -r 3 >run.txt 2>run.err
		fi || { echo "bench-mv: failed"; cat run.err; exit 1; }
		awk -v k="$kernel" -v t="$t" -v r="$r" \
			'/^to_(dev|sys) / { printf "bench-mv kernel=%s tracer=%s round=%s dir=%s mibs=%s\n", k, t, r, $1, $2 }' run.txt
	done
done

# The tracer's own time in the kernel, from the kernel's BPF run-time
# statistics: TCG's run-to-run spread (10-30%) hides a cost of a few per
# cent in the throughputs above, not in this.  One traced run; its BPF
# programs' total time, per migration and against hmmbench's own time of
# the migration ioctls.
sysctl -qw kernel.bpf_stats_enabled=1
"$B/migratevma" -j -- sh -c "'$B/hmmbench' -s 64 -r 3 >run.txt && bpftool -j prog show >progs.json" \
	>mv.json 2>run.err || { echo "bench-mv: traced run failed"; cat run.err; exit 1; }
sysctl -qw kernel.bpf_stats_enabled=0
/usr/bin/python3 - "$kernel" <<'PY'
import json, re, sys
mv = json.loads([l for l in open("mv.json") if l.startswith("{")][-1])
ours = re.compile(r"^(tp|fn|fx|kp|krp)_")
bpf = sum(p.get("run_time_ns", 0) for p in json.load(open("progs.json")) if ours.match(p.get("name", "")))
ioctl = sum(int(m) for m in re.findall(r"^hmmbench: round=.* ns=(\d+)", open("run.txt").read(), re.M))
print("bench-mv-bpf kernel=%s hooks=%s migrations=%d bpf_ns=%d ioctl_ns=%d" %
      (sys.argv[1], mv["hooks"], mv["migrations"], bpf, ioctl))
PY
