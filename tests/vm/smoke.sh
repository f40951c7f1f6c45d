#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of the end-to-end smoke test (run by ci/check.sh through
# ci/vm.sh).  One "PASS: name" or "FAIL: name: why" line per check; the host
# counts them.  Exit status: number of failed checks (0 = all passed).
#
# usage: smoke.sh EXPECTED_RELEASE EXPECTED_UTS_VERSION
set -u
want_release=$1
want_version=$2
top=${PAGEMOVE_TOP:?}
failed=0
. "$(dirname "$0")/lib.sh"

# 1. The guest runs the kernel we built, not the host's.
got=$(uname -r)
if [ "$got" = "$want_release" ] && grep -qF "$want_version" /proc/version; then
	pass "kernel is the one built ($got)"
else
	fail "kernel is the one built" "uname -r '$got', /proc/version '$(cat /proc/version)', want '$want_release' '$want_version'"
fi

# 2. lib/test_hmm.c is built in and registered its devices.
if [ -c /dev/hmm_dmirror0 ]; then
	pass "/dev/hmm_dmirror0 exists"
else
	fail "/dev/hmm_dmirror0 exists" "$(ls /dev/hmm* 2>&1)"
fi

# 3. virtio_balloon is bound to the VM's balloon device.
bound=$(ls -d /sys/bus/virtio/drivers/virtio_balloon/virtio* 2>/dev/null | head -n1)
if [ -n "$bound" ]; then
	pass "virtio_balloon bound to $(basename "$bound")"
else
	fail "virtio_balloon bound" "no device under /sys/bus/virtio/drivers/virtio_balloon"
fi

# 4. zram over zsmalloc, written under BPF: the fentry count on zs_malloc()
#    must equal the pages written (incompressible data: one object a page),
#    and the tracepoint program must see each of its getppid() calls.
mib=16
pages=$((mib * 1024 * 1024 / $(getconf PAGESIZE)))
[ -e /sys/block/zram0 ] || cat /sys/class/zram-control/hot_add >/dev/null
if echo $((mib * 4))M >/sys/block/zram0/disksize 2>/dev/null; then
	pass "zram0 set up ($((mib * 4)) MiB)"
else
	fail "zram0 set up" "cannot set disksize"
fi
head -c $((mib * 1024 * 1024)) /dev/urandom >/tmp/smoke.rand
out=$("$top/build/bin/bpfsmoke" -n 1000 -- \
	dd if=/tmp/smoke.rand of=/dev/zram0 bs=1M oflag=direct status=none 2>&1)
rc=$?
echo "$out" | sed 's/^/  bpfsmoke: /'
if [ $rc = 0 ] && echo "$out" | grep -qx 'tracepoint syscalls:sys_enter_getppid 1000 of 1000 calls'; then
	pass "tracepoint BPF program loads and counts 1000/1000"
else
	fail "tracepoint BPF program loads and counts" "bpfsmoke exit $rc"
fi
zs=$(echo "$out" | sed -n 's/^fentry zs_malloc //p')
if [ "${zs:-x}" = "$pages" ]; then
	pass "fentry BPF program counts zs_malloc = $pages pages written"
else
	fail "fentry BPF program counts zs_malloc" "counted '${zs:-nothing}', wrote $pages pages"
fi
orig=$(awk '{ print $1 }' /sys/block/zram0/mm_stat)
if [ "$orig" = $((mib * 1024 * 1024)) ]; then
	pass "zram0 holds $mib MiB (mm_stat orig_data_size)"
else
	fail "zram0 holds $mib MiB" "mm_stat orig_data_size $orig"
fi
echo 1 >/sys/block/zram0/reset
rm -f /tmp/smoke.rand
exit $failed
