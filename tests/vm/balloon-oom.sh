#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side, device with deflate-on-oom=on (VIRTIO_BALLOON_F_DEFLATE_ON_OOM,
# ci/lib.sh vm_balloon_oom): the host inflates the balloon by 1536 MiB of
# the 2 GiB guest (tests/balloon-drive.sh); then a process allocates and
# touches more than the guest has left.  The driver's OOM notifier must give
# balloon pages back (vmstat balloon_deflate grows) so that the OOM killer
# kills nothing and the process finishes; then the host deflates the rest
# and the balloon's counters are back where they started.
set -u
here=$(cd "$(dirname "$0")" && pwd)
failed=0
. "$here/lib.sh"
mib=${BALLOON_OOM_MIB:-1536}
want=$((mib * 256))
inflate0=$(vmstat balloon_inflate) deflate0=$(vmstat balloon_deflate)
bal0=$(vmstat nr_balloon_pages) oom0=$(vmstat oom_kill)
f=/sys/bus/virtio/drivers/virtio_balloon
features=$(cat $f/virtio*/features 2>/dev/null | head -n1)
# Feature bit 2: VIRTIO_BALLOON_F_DEFLATE_ON_OOM.
check_eq "device offers deflate-on-oom (feature bit 2)" "${features:2:1}" 1

echo "pagemove: balloon ready"
wait_vmstat balloon_inflate "$inflate0" $want ||
	fail "balloon inflated by the host" "balloon_inflate +$(( $(vmstat balloon_inflate) - inflate0 ))"
sleep 2
check_eq "balloon_inflate grew by the host's $mib MiB exactly (pages)" \
	"$(( $(vmstat balloon_inflate) - inflate0 ))" $want
check_eq "nr_balloon_pages grew by the host's $mib MiB exactly" \
	"$(( $(vmstat nr_balloon_pages) - bal0 ))" $want
# the host compares it with balloonctl's actual (tests/balloon-drive.sh)
echo "pagemove: balloon vmstat inflate $(( $(vmstat balloon_inflate) - inflate0 ))"

avail=$(awk '$1 == "MemAvailable:" { print int($2 / 1024) }' /proc/meminfo)
hog=$((avail + 256))
echo "balloon-oom: MemAvailable $avail MiB, allocating $hog MiB"
d0=$(vmstat balloon_deflate)
python3 -c 'import sys
open("/proc/self/oom_score_adj", "w").write("1000")
hog = bytearray(int(sys.argv[1]) << 20)
for i in range(0, len(hog), 4096): hog[i] = 1
print("balloon-oom: hog touched all its pages")' "$hog"
rc=$?
check_eq "a process needing more than the guest has left finished" "$rc" 0
check_gt0 "the OOM notifier deflated the balloon (balloon_deflate)" "$(( $(vmstat balloon_deflate) - d0 ))"
check_eq "OOM kills" "$(( $(vmstat oom_kill) - oom0 ))" 0

# The host's deflate starts from what the OOM notifier left: its pages
# are counted from here.
d1=$(vmstat balloon_deflate)
echo "pagemove: balloon inflated"
for _ in $(seq 1200); do
	[ "$(vmstat nr_balloon_pages)" = "$bal0" ] && break
	sleep 0.5
done
echo "pagemove: balloon vmstat deflate $(( $(vmstat balloon_deflate) - d1 ))"
check_eq "nr_balloon_pages back where it started" "$(vmstat nr_balloon_pages)" "$bal0"
check_eq "pages deflated = pages inflated" \
	"$(( $(vmstat balloon_deflate) - deflate0 ))" "$(( $(vmstat balloon_inflate) - inflate0 ))"
# Stay up until balloonctl has seen the target reached and the host has read
# the vmstat line: QEMU sends BALLOON_CHANGE up to 1 s late.
sleep 5
exit $failed
