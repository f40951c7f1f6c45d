#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side, the testing kernel (ci/zsrace-kernel.sh: the series with
# patches/testing/0001-virtio_balloon-fail-tell-host): buffers to the host
# fail as if the virtqueue were full (tell_host()'s WARN_ON_ONCE() path):
# the first inflate buffer, then, on deflate, the third buffer of a round
# (two went through) and the first of the next round.  While the host
# inflates the balloon by 64 MiB and deflates it (tests/balloon-drive.sh
# with SQUEEZE_MIB=0), the series' tell_host begin and end events are
# counted by tracefs hist triggers, whatever their names in this version
# of the series, next to tpcheck's fentry/fexit counts of tell_host():
# every begin must have its end, and the failed requests must say so.
# Deflate must release only pages the host was told about (tell before
# release): the pfns of the deflate buffers the host used add up to the
# host's 64 MiB exactly, and the guest's MemTotal and nr_balloon_pages
# come back to where they started.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${PAGEMOVE_TOP:?}
out=${PAGEMOVE_OUT:?}
failed=0
. "$here/lib.sh"
T=/sys/kernel/tracing/events
P=/sys/module/virtio_balloon/parameters/fail_tell_host
PA=/sys/module/virtio_balloon/parameters/fail_tell_host_after
nfail=3

[ -w $P ] && [ -w $PA ] ||
	{ fail "fail_tell_host parameters" "no $P or $PA: kernel without the test patch"; exit $failed; }
begin=$(ls -d $T/*/*tell_host_begin 2>/dev/null | head -n1)
end=$(ls -d $T/*/*tell_host_end 2>/dev/null | head -n1)
[ -n "$begin" ] && [ -n "$end" ] ||
	{ fail "tell_host events" "none in tracefs"; exit $failed; }
echo "balloon-fail: events $(basename "$begin") and $(basename "$end")"
echo 'hist:keys=common_pid:vals=hitcount' >"$begin/trigger" ||
	fail "hist trigger on $(basename "$begin")" "refused"
# One trigger on the end event, by queue and error: its hits, and the pfns
# of the buffers the host used, per queue.
echo 'hist:keys=vq,err:vals=hitcount,nr_pfns' >"$end/trigger" ||
	fail "hist trigger on $(basename "$end")" "refused"
hits() { sed -n 's/^ *Hits: *//p' "$1/hist"; }
# told QUEUE: pfns in the buffers the host used (err 0) on that queue,
# from the end event's entries "{ vq: Q , err: E } hitcount: N nr_pfns: P".
told() {
	awk -v q="$1" '/^\{ *vq:/ { v = ""; e = ""; p = 0
		for (i = 1; i < NF; i++) {
			if ($i == "vq:") v = $(i + 1)
			if ($i == "err:") e = $(i + 1)
			if ($i == "nr_pfns:") p = $(i + 1)
		}
		if (v == q && e == "0") t += p }
	END { print t + 0 }' "$end/hist"
}
mt0=$(memtotal) bal0=$(vmstat nr_balloon_pages)

start_tpcheck tpcheck-fail ||
	{ fail "tpcheck attached" "$(tail -n 5 "$out/tpcheck-fail.log")"; exit $failed; }

# One failure on inflate: its first buffer.
echo 0 >$PA
echo 1 >$P
want=$((64 * 256))
inflate0=$(vmstat balloon_inflate) deflate0=$(vmstat balloon_deflate)
echo "pagemove: balloon ready"
wait_vmstat balloon_inflate "$inflate0" $want ||
	fail "balloon inflated by the host" "balloon_inflate +$(( $(vmstat balloon_inflate) - inflate0 ))"
echo "pagemove: balloon vmstat inflate $(( $(vmstat balloon_inflate) - inflate0 ))"
check_eq "the inflate's forced failure happened" "$(cat $P)" 0
# Two on deflate: the third buffer of a round, after two went through
# (the rest of that round is not sent), then the next round's first.
echo 2 >$PA
echo 2 >$P
inflate1=$(vmstat balloon_inflate)
echo "pagemove: balloon inflated"
wait_vmstat balloon_deflate "$deflate0" $want ||
	fail "balloon deflated by the host" "balloon_deflate +$(( $(vmstat balloon_deflate) - deflate0 ))"
# vmstat counts the pages put back twice, dequeued (balloon_deflate) and
# enqueued again (balloon_inflate): what left the balloon is the difference.
for _ in $(seq 60); do [ "$(vmstat nr_balloon_pages)" = "$bal0" ] && break; sleep 1; done
putback=$(( $(vmstat balloon_inflate) - inflate1 ))
echo "pagemove: balloon vmstat deflate $(( $(vmstat balloon_deflate) - deflate0 - putback ))"
# A round is 16 buffers of 256 pfns: 14 buffers of the first round (its
# third failed) and all 16 of the next go back into the balloon.
check_eq "pages put back into the balloon, untold (vmstat balloon_inflate during the deflate)" \
	"$putback" $(( (14 + 16) * 256 ))

kill -INT $tp
wait $tp || fail "tpcheck wrote its counts" "exit $?"
declare -A c
while read -r k v; do c[$k]=$v; done <"$out/tpcheck-fail.txt"
check_eq "the deflate's forced failures happened" "$(cat $P) $(cat $PA)" "0 0"
check_eq "deflate pfns the host was told about = the host's 64 MiB (tell before release)" \
	"$(told deflate)" $want
check_eq "nr_balloon_pages back where it started" "$(vmstat nr_balloon_pages)" "$bal0"
check_eq "MemTotal back where it started (kB)" "$(memtotal)" "$mt0"
# One begin and one end per buffer: the buffers the virtio core took
# (fentry virtqueue_add_outbuf) or gave back used (fexit virtqueue_get_buf),
# plus the ones that failed.
check_eq "$(basename "$begin") = buffers added (fentry virtqueue_add_outbuf) + forced failures" \
	"$(hits "$begin")" "$(( ${c[fn_vb_add_outbuf_ivq]:-0} + ${c[fn_vb_add_outbuf_dvq]:-0} + nfail ))"
check_eq "$(basename "$end") = buffers used (fexit virtqueue_get_buf) + forced failures" \
	"$(hits "$end")" "$(( ${c[fx_vb_get_buf]:-0} + nfail ))"
check_eq "tell_host() calls = tell_host() returns (fentry, fexit)" \
	"$(( ${c[fn_tell_host_ivq]:-0} + ${c[fn_tell_host_dvq]:-0} ))" "${c[fx_tell_host]:-}"
check_eq "$(basename "$end") with an error = the forced failures" \
	"${c[tp_vb_tell_err]:-0}" $nfail
if dmesg | grep -q 'WARNING: .*tell_host'; then
	pass "tell_host()'s WARN_ON_ONCE() fired"
else
	fail "tell_host()'s WARN_ON_ONCE() fired" "no WARNING in dmesg"
fi
exit $failed
