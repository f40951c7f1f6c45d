#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench` (under QEMU's instruction counter): zsstress's
# zram throughput without and with zsmigrate attached, alternating, ROUNDS
# times, under two loads: a hot-added zram device, 2 I/O threads, 10 s of
# mixed I/O while ZONE_MOVABLE blocks are offlined
#   paced      one block every 100 ms (zsstress's default forcing), and
#   saturated  back to back (-i 0: zspages migrate all the time, the
#              detector's worst case).
# zsmigrate runs in each hook mode the kernel has (stock: fentry; patched:
# tp_btf and fentry), as `zsmigrate -- zsstress`.
# One line per measurement:
#   bench-zs kernel=K load=L tracer=off|MODE round=N ops_per_s=X migrations=M
# (migrations: vmstat pgmigrate_success during the run), then the
# detector's own time in the kernel over one traced run per load and mode:
#   bench-zs-bpf kernel=K load=L hooks=H migrations=M bpf_ns=X run_ns=Y
#   bench-zs-prog kernel=K load=L hooks=H prog=P runs=N ns=X
# (M: zsmigrate's migrated count; X: run time of its BPF programs, kernel
# BPF statistics, in all and per program; Y: zsstress's mixed phase).
set -u
rounds=${1:-5}
top=${PAGEMOVE_TOP:?}
B=$top/build/bin
kernel=${PAGEMOVE_KERNEL:?}
. "$top/tests/vm/lib.sh"
cd /tmp || exit 1
base=${ZSBENCH_ARGS:--t 2 -s 10 -S 24 -F offline}
loads=${ZSBENCH_LOADS:-paced saturated}
args() { case $1 in paced) echo "$base" ;; saturated) echo "$base -i 0" ;; esac; }
for l in $loads; do
	case $l in paced|saturated) ;; *) echo "bench-zs: unknown load '$l' (paced, saturated)"; exit 1 ;; esac
done
if [ "$kernel" = patched ]; then modes="tp_btf fentry"; else modes="fentry"; fi
[ -x "$B/zsmigrate" ] || { echo "bench-zs: no $B/zsmigrate"; exit 1; }
make_movable 5 >/dev/null

for r in $(seq "$rounds"); do
	for l in $loads; do
		a=$(args "$l")
		for t in off $modes; do
			case $t in
			off) "$B/zsstress" $a ;;
			*) "$B/zsmigrate" -H "$t" -- "$B/zsstress" $a ;;
			esac >run.txt 2>run.err ||
				{ echo "bench-zs: $l $t failed"; tail -n 5 run.err run.txt; exit 1; }
			awk -v k="$kernel" -v l="$l" -v t="$t" -v r="$r" '/^zsstress: ops / {
				for (i = 2; i < NF; i++) f[$i] = $(i + 1)
				printf "bench-zs kernel=%s load=%s tracer=%s round=%s ops_per_s=%s migrations=%s\n", k, l, t, r, f["ops_per_s"], f["migrations"] }' run.txt
		done
	done
done

# The detector's time in the kernel: the run time of the BPF programs that
# zsmigrate holds, in all and per program.
for l in $loads; do
	a=$(args "$l")
	for m in $modes; do
		sysctl -qw kernel.bpf_stats_enabled=1
		"$B/zsmigrate" -H "$m" --json -- sh -c "'$B/zsstress' $a >run.txt && bpftool -j prog show >progs.json" \
			>zm.json 2>run.err || { echo "bench-zs: traced run failed"; tail -n 5 run.err; exit 1; }
		sysctl -qw kernel.bpf_stats_enabled=0
		/usr/bin/python3 - "$kernel" "$l" <<'PY'
import json, re, sys
kernel, load = sys.argv[1:]
zm = json.loads([l for l in open("zm.json") if l.startswith("{")][-1])
progs = json.load(open("progs.json"))
# Programs zsmigrate holds, by the owner bpftool names; a bpftool built
# without that ("pids" absent: Debian's 7.1) -- every tracing program:
# nothing else runs BPF in this guest.
def ours(p):
    if "pids" in p:
        return any(o.get("comm") == "zsmigrate" for o in p["pids"])
    return p.get("type") in ("tracing", "kprobe", "raw_tracepoint", "tracepoint")
mine = [p for p in progs if ours(p)]
bpf = sum(p.get("run_time_ns", 0) for p in mine)
m = re.search(r"^zsstress: mixed phase ([0-9.]+) s", open("run.txt").read(), re.M)
print("bench-zs-bpf kernel=%s load=%s hooks=%s migrations=%d bpf_ns=%d run_ns=%d" %
      (kernel, load, zm["hooks"], zm["migrations"]["migrated"], bpf,
       float(m.group(1)) * 1e9 if m else 0))
for p in sorted(mine, key=lambda p: -p.get("run_time_ns", 0)):
    if p.get("run_cnt", 0):
        print("bench-zs-prog kernel=%s load=%s hooks=%s prog=%s runs=%d ns=%d" %
              (kernel, load, zm["hooks"], p.get("name", "?"), p["run_cnt"], p["run_time_ns"]))
PY
	done
done
