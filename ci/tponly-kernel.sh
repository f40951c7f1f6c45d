#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make tponly-kernel: the series' tracepoint patches alone (the leading
# patches whose subject says "tracepoint": 1/7-4/7), without the balloon
# speedup that follows them, in build/linux-tponly (ci/derived-kernel.sh).
# make bench compares it with stock to measure what the events cost while
# they are off on the zsmalloc and balloon paths; the patched kernel would
# measure the speedup too.
#
# usage: ci/tponly-kernel.sh      (needs the patched kernel built: its .config)
STEP="kernel tponly"
. "$(dirname "$0")/lib.sh"

# The prefix: the series' commits on the patched branch, oldest first, up
# to the last of the leading ones that add tracepoints.
mapfile -t commits < <(git -C "$PATCHED_SRC" log --reverse --format='%H %s' pagemove-base..HEAD)
[ ${#commits[@]} -gt 0 ] || die "no series on $PATCHED_SRC: run 'make series'"
last= n=0
for c in "${commits[@]}"; do
	[[ ${c#* } == *tracepoint* ]] || break
	last=${c%% *} n=$((n + 1))
done
[ -n "$last" ] || die "the series' first patch adds no tracepoint: '${commits[0]#* }'"
[ "$n" -lt ${#commits[@]} ] ||
	die "every patch of the series adds tracepoints: the patched kernel is the tracepoint-only one"
log "the tracepoint patches: 1-$n of ${#commits[@]} (up to '$(git -C "$PATCHED_SRC" log -1 --format=%s "$last")')"
bash "$TOP/ci/derived-kernel.sh" tponly "$last"
