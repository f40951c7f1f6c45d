#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench` (under QEMU's instruction counter): hmmbench
# throughput without and with migratevma attached, side by side, ROUNDS
# times (64 MiB, 4 KiB pages, 3 hmmbench rounds each).  The tracer runs in
# each hook mode the kernel has (stock: fentry; patched: tp_btf and
# fentry), as `migratevma -- hmmbench` and with an event log (-w).
# One line per measurement:
#   bench-mv kernel=K tracer=off|MODE[+log] round=N dir=to_dev|to_sys mibs=X
# then the tracer's in-kernel time over one traced run per mode:
#   bench-mv-bpf kernel=K hooks=H migrations=M bpf_ns=X ioctl_ns=Y
set -u
rounds=${1:-5}
B=${PAGEMOVE_TOP:?}/build/bin
kernel=${PAGEMOVE_KERNEL:?}
cd /tmp || exit 1
if [ "$kernel" = patched ]; then modes="tp_btf fentry"; else modes="fentry"; fi
variants="off"
for m in $modes; do variants="$variants $m $m+log"; done

for r in $(seq "$rounds"); do
	for t in $variants; do
		case $t in
		off) "$B/hmmbench" -s 64 -r 3 ;;
		*+log) "$B/migratevma" -H "${t%+log}" -w /tmp/mv.log -- "$B/hmmbench" -s 64 -r 3 ;;
		*) "$B/migratevma" -H "$t" -- "$B/hmmbench" -s 64 -r 3 ;;
		esac >run.txt 2>run.err || { echo "bench-mv: $t failed"; cat run.err; exit 1; }
		awk -v k="$kernel" -v t="$t" -v r="$r" \
			'/^to_(dev|sys) / { printf "bench-mv kernel=%s tracer=%s round=%s dir=%s mibs=%s\n", k, t, r, $1, $2 }' run.txt
	done
done
rm -f /tmp/mv.log

# The tracer's own time in the kernel, from the kernel's BPF run-time
# statistics, against hmmbench's own time of the migration ioctls: one
# traced run per mode (the statistics' clock reads cost a little too).
for m in $modes; do
	sysctl -qw kernel.bpf_stats_enabled=1
	"$B/migratevma" -H "$m" -j -- sh -c "'$B/hmmbench' -s 64 -r 3 >run.txt && bpftool -j prog show >progs.json" \
		>mv.json 2>run.err || { echo "bench-mv: traced run failed"; cat run.err; exit 1; }
	sysctl -qw kernel.bpf_stats_enabled=0
	/usr/bin/python3 - "$kernel" <<'PY'
import json, re, sys
mv = json.loads([l for l in open("mv.json") if l.startswith("{")][-1])
ours = re.compile(r"^(tp|fn|fx|kp|krp|pm)_")
bpf = sum(p.get("run_time_ns", 0) for p in json.load(open("progs.json")) if ours.match(p.get("name", "")))
ioctl = sum(int(m) for m in re.findall(r"^hmmbench: round=.* ns=(\d+)", open("run.txt").read(), re.M))
print("bench-mv-bpf kernel=%s hooks=%s migrations=%d bpf_ns=%d ioctl_ns=%d" %
      (sys.argv[1], mv["hooks"], mv["migrations"], bpf, ioctl))
PY
done
