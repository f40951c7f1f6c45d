#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: from a fresh machine to the patched kernel running the
# workloads in a VM, printing what was measured: the smoke checks, then
# every event of the series counted by tools/tpcheck next to independent
# fentry/fexit counts while hmm-tests, a zram compaction workload and a
# host-driven balloon cycle run.  Each tracer joins here as it lands.
STEP=demo
. "$(dirname "$0")/lib.sh"

make -C "$TOP" --no-print-directory kernel KERNEL=stock   # BTF for the BPF build
make -C "$TOP" --no-print-directory kernel KERNEL=patched
make -C "$TOP" --no-print-directory bpf tools selftests
mkdir -p "$BUILD/demo"
log "booting $(cat "$(kernel_src patched)/obj/include/config/kernel.release") for the workloads"
rc=0
vm_suite patched "$BUILD/demo/vm.log" 2>&1 | tee "$BUILD/demo/vm.log" || rc=$?
echo
log "$(grep -c '^PASS: ' "$BUILD/demo/vm.log") checks passed, $(grep -c '^FAIL: ' "$BUILD/demo/vm.log") failed; log: $BUILD/demo/vm.log"
exit $rc
