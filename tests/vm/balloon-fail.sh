#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side, a kernel with patches/testing/0001-virtio_balloon-fail-tell-host
# on top of the series: the next 3 requests to the host fail as if the
# virtqueue were full (tell_host()'s WARN_ON_ONCE() path).  While the host
# inflates the balloon by 64 MiB and deflates it (tests/balloon-drive.sh
# with SQUEEZE_MIB=0), the series' tell_host begin and end events are
# counted by tracefs hist triggers, whatever their names in this version
# of the series, next to tpcheck's fentry/fexit counts of tell_host():
# every begin must have its end, and the failed requests must say so.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${PAGEMOVE_TOP:?}
out=${PAGEMOVE_OUT:?}
failed=0
. "$here/lib.sh"
T=/sys/kernel/tracing/events
P=/sys/module/virtio_balloon/parameters/fail_tell_host
nfail=3

[ -w $P ] || { fail "fail_tell_host parameter" "no $P: kernel without the test patch"; exit $failed; }
begin=$(ls -d $T/*/*tell_host_begin 2>/dev/null | head -n1)
end=$(ls -d $T/*/*tell_host_end 2>/dev/null | head -n1)
[ -n "$begin" ] && [ -n "$end" ] ||
	{ fail "tell_host events" "none in tracefs"; exit $failed; }
echo "balloon-fail: events $(basename "$begin") and $(basename "$end")"
for e in "$begin" "$end"; do
	echo 'hist:keys=common_pid:vals=hitcount' >"$e/trigger" ||
		fail "hist trigger on $(basename "$e")" "refused"
done
hits() { sed -n 's/^ *Hits: *//p' "$1/hist"; }

start_tpcheck tpcheck-fail ||
	{ fail "tpcheck attached" "$(tail -n 5 "$out/tpcheck-fail.log")"; exit $failed; }

echo $nfail >$P
want=$((64 * 256))
inflate0=$(vmstat balloon_inflate) deflate0=$(vmstat balloon_deflate)
echo "pagemove: balloon ready"
wait_vmstat balloon_inflate "$inflate0" $want ||
	fail "balloon inflated by the host" "balloon_inflate +$(( $(vmstat balloon_inflate) - inflate0 ))"
echo "pagemove: balloon vmstat inflate $(( $(vmstat balloon_inflate) - inflate0 ))"
echo "pagemove: balloon inflated"
wait_vmstat balloon_deflate "$deflate0" $want ||
	fail "balloon deflated by the host" "balloon_deflate +$(( $(vmstat balloon_deflate) - deflate0 ))"
echo "pagemove: balloon vmstat deflate $(( $(vmstat balloon_deflate) - deflate0 ))"

kill -INT $tp
wait $tp || fail "tpcheck wrote its counts" "exit $?"
declare -A c
while read -r k v; do c[$k]=$v; done <"$out/tpcheck-fail.txt"
check_eq "the $nfail forced failures happened" "$(cat $P)" 0
check_eq "$(basename "$begin") = tell_host() calls (fentry)" \
	"$(hits "$begin")" "$(( ${c[fn_tell_host_ivq]:-0} + ${c[fn_tell_host_dvq]:-0} ))"
check_eq "$(basename "$end") = tell_host() returns (fexit), the failed ones too" \
	"$(hits "$end")" "${c[fx_tell_host]:-}"
check_eq "$(basename "$end") with an error = the forced failures" \
	"${c[tp_vb_tell_err]:-0}" $nfail
if dmesg | grep -q 'WARNING: .*tell_host'; then
	pass "tell_host()'s WARN_ON_ONCE() fired"
else
	fail "tell_host()'s WARN_ON_ONCE() fired" "no WARNING in dmesg"
fi
exit $failed
