#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: from a fresh machine to the patched kernel running the
# workloads in a VM, printing what was measured: the smoke checks, then
# every event of the series counted by tools/tpcheck next to independent
# fentry/fexit counts while hmm-tests, a zram compaction workload and a
# host-driven balloon cycle run; then the tracers against their workloads
# (migratevma with hmmbench: pagemove's report of its log is printed at
# the end, its timeline and plot written to build/demo/).
STEP=demo
. "$(dirname "$0")/lib.sh"

make -C "$TOP" --no-print-directory kernel KERNEL=stock   # BTF for the BPF build
make -C "$TOP" --no-print-directory kernel KERNEL=patched
make -C "$TOP" --no-print-directory bpf tools analysis selftests
mkdir -p "$BUILD/demo"
log "booting $(cat "$(kernel_src patched)/obj/include/config/kernel.release") for the workloads"
rc=0
vm_suite patched "$BUILD/demo/vm.log" 2>&1 | tee "$BUILD/demo/vm.log" || rc=$?
echo
l=$BUILD/vm/out/migratevma-patched/plain.log
if [ -s "$l" ]; then
	log "migratevma under hmmbench (16 MiB to the device and back, 3 rounds), its log as pagemove reports it:"
	# the tables and counters; the log2 charts ("stage:" headings) are in the file
	"$BUILD/bin/pagemove" report "$l" >"$BUILD/demo/migratevma-report.txt" || rc=1
	awk '/^[a-z_]+:$/ { exit } { print }' "$BUILD/demo/migratevma-report.txt"
	"$BUILD/bin/pagemove" timeline "$l" -o "$BUILD/demo/migratevma-timeline.json" || rc=1
	"$BUILD/bin/pagemove" plot "$l" -o "$BUILD/demo/migratevma.svg" || rc=1
fi
log "$(grep -c '^PASS: ' "$BUILD/demo/vm.log") checks passed, $(grep -c '^FAIL: ' "$BUILD/demo/vm.log") failed; log: $BUILD/demo/vm.log"
exit $rc
