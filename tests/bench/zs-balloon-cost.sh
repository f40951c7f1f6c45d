#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`: the cost of the zsmalloc and virtio_balloon
# tracepoints while they are off, against the unpatched kernel, under
# QEMU's instruction counter (ci/bench.sh exports PAGEMOVE_VM_QEMU_OPTS with it).
# ROUNDS rounds, each:
#   zram:    write 16 MiB to zram0 (4096 pages over many size classes),
#            zero every other page, compact, then offline the movable
#            memory blocks, which migrates the zspages in them;
#   balloon: when PAGEMOVE_BALLOON=1, the host (tests/bench/balloon-host.sh)
#            inflates the balloon by 256 MiB and deflates it again.
# Each phase is measured as guest CPU time (ns), under the instruction
# counter the guest's work without the time it waited for the host:
#   write, compact, migrate: the run time of all tasks (the sum of
#            /proc/schedstat's per-CPU run time);
#   inflate, deflate: the run time of kernel threads only (the driver's
#            work runs in a kworker), so that this script's own polling,
#            whose rounds follow the host's speed, is not counted.
# The work a phase does is not the same from boot to boot (which zspages
# compaction empties, which pages sit in the offlined blocks), so each
# line also says how much it did: pages compacted (mm_stat) and pages
# migrated (vmstat pgmigrate_success); make bench compares ns per unit.
# One line per measurement:
#   bench-zb kernel=K round=N phase=write|compact|migrate|inflate|deflate ns=T units=U
#
# usage: zs-balloon-cost.sh ROUNDS
set -u
rounds=${1:-5}
kernel=${PAGEMOVE_KERNEL:?}
T=/sys/kernel/tracing/events

# The events stay off: this measures what compiling them in costs.
for sys in zsmalloc balloon virtio_balloon; do
	[ -d $T/$sys ] && echo 0 >$T/$sys/enable
done
# (%.0f: awk's %d stops at 2^31 - 1.)
busy_ns() { awk '/^cpu[0-9]/ { s += $8 } END { printf "%.0f\n", s }' /proc/schedstat; }
. "$(dirname "$0")/../vm/lib.sh"	# vmstat
# kthread_ns: the run time of every kernel thread (PF_KTHREAD), ns, with
# bash builtins only (no task of this script's is created to count).
kthread_ns() {
	local p st rest sum=0 run
	for p in /proc/[0-9]*; do
		read -r st 2>/dev/null <"$p/stat" || continue
		rest=${st##*) }
		# shellcheck disable=SC2086
		set -- $rest	# state ppid pgrp session tty tpgid flags ...
		(( ${7:-0} & 0x00200000 )) || continue
		read -r run _ 2>/dev/null <"$p/schedstat" || continue
		sum=$((sum + run))
	done
	echo "$sum"
}
mm_compacted() { awk '{ print $7 }' /sys/block/zram0/mm_stat; }
say() { echo "bench-zb kernel=$kernel round=$1 phase=$2 ns=$3 units=$4"; }

M=/sys/devices/system/memory
movable=()
for b in $(ls -d $M/memory[0-9]* | sort -V | tail -n 4); do
	echo offline >"$b/state" 2>/dev/null && movable+=("$b")
done
for b in "${movable[@]}"; do
	echo online_movable >"$b/state" || { echo "bench-zb: online_movable refused"; exit 1; }
done
[ ${#movable[@]} -gt 0 ] || { echo "bench-zb: no movable memory block"; exit 1; }

for r in $(seq "$rounds"); do
	echo 1 >/sys/block/zram0/reset && echo 64M >/sys/block/zram0/disksize ||
		{ echo "bench-zb: zram0 set up failed"; exit 1; }
	t0=$(busy_ns)
	python3 - <<'PY' || { echo "bench-zb: zram writer failed"; exit 1; }
import mmap, os, random
fd = os.open('/dev/zram0', os.O_WRONLY | os.O_DIRECT)
buf, zero = mmap.mmap(-1, 4096), mmap.mmap(-1, 4096)
rnd = random.Random(1)
n = 4096
for i in range(n):
    k = 64 + (i * 37) % 3000
    buf.seek(0)
    buf.write(rnd.randbytes(k) + bytes(4096 - k))
    os.pwrite(fd, buf, i * 4096)
for i in range(0, n, 2):
    os.pwrite(fd, zero, i * 4096)
os.close(fd)
PY
	t1=$(busy_ns) c0=$(mm_compacted)
	echo 1 >/sys/block/zram0/compact || { echo "bench-zb: compact failed"; exit 1; }
	t2=$(busy_ns) c1=$(mm_compacted) m0=$(vmstat pgmigrate_success)
	for b in "${movable[@]}"; do
		echo offline >"$b/state" && echo online_movable >"$b/state" ||
			{ echo "bench-zb: offlining $(basename "$b") failed"; exit 1; }
	done
	t3=$(busy_ns) m1=$(vmstat pgmigrate_success)
	say "$r" write $((t1 - t0)) 4096
	say "$r" compact $((t2 - t1)) $((c1 - c0))
	say "$r" migrate $((t3 - t2)) $((m1 - m0))
	if [ "${PAGEMOVE_BALLOON:-0}" = 1 ]; then
		for phase in inflate deflate; do
			key=balloon_$phase want=$((256 * 256))
			v0=$(vmstat $key) t0=$(kthread_ns)
			echo "pagemove: bench $phase $r"
			for _ in $(seq 2400); do
				[ $(( $(vmstat $key) - v0 )) -ge $want ] && break
				sleep 0.25
			done
			t1=$(kthread_ns)
			got=$(( $(vmstat $key) - v0 ))
			[ $got -ge $want ] || { echo "bench-zb: balloon $phase incomplete"; exit 1; }
			say "$r" $phase $((t1 - t0)) $got
		done
	fi
done
echo "bench-zb: done"
