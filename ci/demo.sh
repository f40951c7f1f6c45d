#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: from a fresh machine to the patched kernel running the
# workloads in a VM, printing what was measured: the smoke checks, then
# every event of the series counted by tools/tpcheck next to independent
# fentry/fexit counts while hmm-tests, a zram compaction workload and a
# host-driven balloon cycle run; then the tracers against their workloads
# (migratevma with hmmbench: its stage table is printed at the end).
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
f=$BUILD/vm/out/migratevma-patched/plain.json
if [ -s "$f" ]; then
	log "migratevma, hmmbench 16 MiB to the device and back, 3 rounds:"
	/usr/bin/python3 - "$f" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print("hooks %s; migrations %d; pages %s" % (j["hooks"], j["migrations"], j["pages"]))
print("%-9s %6s %10s %10s %10s %10s" % ("stage", "count", "mean us", "p50 us", "p99 us", "max us"))
for name, s in j["stages_ns"].items():
    print("%-9s %6d %10.1f %10.1f %10.1f %10.1f" % (name, s["count"], s["mean"] / 1e3,
          s["p50"] / 1e3, s["p99"] / 1e3, s["max"] / 1e3))
PY
fi
log "$(grep -c '^PASS: ' "$BUILD/demo/vm.log") checks passed, $(grep -c '^FAIL: ' "$BUILD/demo/vm.log") failed; log: $BUILD/demo/vm.log"
exit $rc
