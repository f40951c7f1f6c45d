#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: from a fresh machine to the patched kernel running the smoke
# workloads in a VM, printing what they measured.  Each tracer joins here as
# it lands.
STEP=demo
. "$(dirname "$0")/lib.sh"

make -C "$TOP" --no-print-directory kernel KERNEL=stock   # BTF for the BPF build
make -C "$TOP" --no-print-directory kernel KERNEL=patched
make -C "$TOP" --no-print-directory bpf tools
src=$(kernel_src patched)
release=$(cat "$src/obj/include/config/kernel.release")
version=$(sed -n 's/^#define UTS_VERSION "\(.*\)"/\1/p' "$src/obj/include/generated/utsversion.h")
log "booting the patched kernel for the smoke workloads"
bash "$TOP/ci/vm.sh" -k patched -m 2G -c 2 -- \
	bash "$TOP/tests/vm/smoke.sh" "$release" "'$version'"
