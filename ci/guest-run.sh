#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest (started by ci/vm.sh): mount the filesystems that
# tracing and BPF need, lift the memlock limit, then run the command file.
set -u

mnt() {
	mountpoint -q "$2" 2>/dev/null && return 0
	mkdir -p "$2" 2>/dev/null
	mount -t "$1" "$1" "$2" || { echo "guest: cannot mount $1 on $2" >&2; exit 1; }
}
mnt debugfs /sys/kernel/debug
mnt tracefs /sys/kernel/tracing
mnt bpf /sys/fs/bpf
ulimit -l unlimited
echo "pagemove-guest: started on $(uname -r)"

# shellcheck source=/dev/null
. "$1"
