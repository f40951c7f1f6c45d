#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Scan kernel logs for splats: lockdep, KASAN, UBSAN, BUG, WARNING, Oops,
# list corruption, bad page state, ...  Each FILE is a dmesg dump or a
# console log (of which only the "[   12.345678] ..." kernel lines count).
# Timestamps are dropped, so a splat that two files both hold is one.
# Prints a FAIL line per splat with its first 12 lines, or one PASS line;
# exit status 1 if any splat (or no kernel log line at all).  The log is
# data: it is only ever printed.
#
# usage: ci/splat-scan.sh NAME FILE...
set -u
name=$1
shift
SPLAT='BUG:|WARNING:|KASAN|UBSAN|Oops|kernel BUG|general protection fault|Kernel panic'
SPLAT+='|possible circular locking|possible recursive locking|inconsistent lock state'
SPLAT+='|possible irq lock inversion|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|lock held when returning'
SPLAT+='|list_add corruption|list_del corruption|page dumped because|[Bb]ad page state|refcount_t: '
SPLAT+='|sleeping function called from invalid context|INFO: task .* blocked|Call Trace:'

# Not a splat: memory offlining that an unmovable page refuses reports that
# page (mm/page_isolation.c), and tests/vm/events.sh provokes exactly that
# when it tries which memory blocks it can make ZONE_MOVABLE.  Counted and
# printed, never silently dropped; every other "page dumped because" is a
# splat.
ALLOW='^page dumped because: unmovable page$'
# Nor is a page that memory offlining could not migrate this time
# (do_migrate_range(): "migrating pfn P failed ret:N", then the page's
# dump): offlining retries, and the workloads offline blocks that hold file
# and anonymous pages in use.  Only when the dump follows that line within
# 10 lines and the page is neither a balloon page (page_type offline) nor a
# zsmalloc page: those are the series' pages, which must migrate.
MIGFAIL='^page dumped because: migration failure$'

klog=$(mktemp)
trap 'rm -f "$klog"' EXIT
for f; do
	[ -r "$f" ] || continue
	if grep -qE '^\[ *[0-9]+\.[0-9]+\] ' "$f"; then
		grep -aE '^\[ *[0-9]+\.[0-9]+\] ' "$f"
	fi
done | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' >"$klog"
lines=$(wc -l <"$klog")
if [ "$lines" = 0 ]; then
	echo "FAIL: $name: no kernel log line in $*"
	exit 1
fi

allowed=$(grep -caE "$ALLOW" "$klog")
[ "$allowed" = 0 ] ||
	echo "$name: not counted as splats: $allowed lines '$(grep -m1 -aE "$ALLOW" "$klog")' (a refused memory offline)"
# Line numbers of the offline retries' dumps that are not splats.
retries=$(awk -v mf="$MIGFAIL" '
	/^migrating pfn [0-9a-f]+ failed ret:/ { at = NR; ours = 0; next }
	at && /page_type: .*(offline|zsmalloc)|zsmalloc|balloon/ { ours = 1 }
	$0 ~ mf && at && NR - at <= 10 && !ours { print NR }
	$0 ~ mf { at = 0 }' "$klog" | paste -sd' ' -)
[ -z "$retries" ] ||
	echo "$name: not counted as splats: $(wc -w <<<"$retries") lines 'page dumped because: migration failure' after 'migrating pfn ... failed' (memory offlining retries), neither a balloon nor a zsmalloc page"
# Nor the stack an OOM report prints ("X invoked oom-killer", its Call
# Trace within 5 lines): the tests that squeeze the guest check who was
# killed themselves.  Counted and printed.
ooms=$(awk '/ invoked oom-killer: / { at = NR; next }
	at && /^Call Trace:$/ && NR - at <= 5 { print NR; at = 0 }' "$klog" | paste -sd' ' -)
[ -z "$ooms" ] ||
	echo "$name: not counted as splats: $(wc -w <<<"$ooms") OOM-killer reports' stacks ('$(grep -m1 -a ' invoked oom-killer: ' "$klog" | cut -c1-60)...')"
retries="$retries $ooms"

# A splat starts at a matching line; a match within 40 lines of the
# previous one belongs to the same splat ("Call Trace:" follows its
# header), unless a splat boundary ("[ cut here ]", a row of "=") came
# between them.  Two splats with the same first line are one (the follow
# file and the final dump hold the same messages).
n=0
declare -A seen
while read -r at from; do
	first=$(sed -n "${at}p" "$klog")
	[ -n "${seen[$first]:-}" ] && continue
	seen[$first]=1
	n=$((n + 1))
	printf 'FAIL: %s: splat: %s\n' "$name" "$first"
	sed -n "${from},$((at + 11))p" "$klog" | sed 's/^/    /'
done < <(awk -v re="$SPLAT" -v allow="$ALLOW" -v retries="$retries" '
	BEGIN { n = split(retries, r, " "); for (i = 1; i <= n; i++) skip[r[i]] = 1 }
	/-+\[ cut here \]-+/ || /^=========/ { boundary = NR }
	$0 ~ re && $0 !~ allow && !(NR in skip) {
		# Shown from the boundary when it is close: the message of a WARN
		# sits between "cut here" and "WARNING:".
		if (last == 0 || NR - last > 40 || boundary)
			print NR, (boundary && NR - boundary <= 3 ? boundary : NR)
		last = NR; boundary = 0
	}' "$klog")
if [ "$n" = 0 ]; then
	echo "PASS: $name: 0 splats in $lines kernel log lines"
	exit 0
fi
echo "$name: $n splats"
exit 1
