#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every prefix of the series builds, and adds no W=1 warning: for k = 1..N,
# apply the first k patches, compile the C files the series touches with
# W=1 and compare their warnings with the base's, then build bzImage
# (incremental: ccache and the previous prefix make this cheap).  Ends with
# the whole series applied and built.  Names the patch that breaks.
STEP=series-builds
. "$(dirname "$0")/lib.sh"

mapfile -t patches < <(series_patches)
n=${#patches[@]}
[ "$n" -gt 0 ] || die "no patches in $PATCHES: nothing to build"
bash "$TOP/ci/series.sh" >/dev/null
mapfile -t objs < <(git -C "$PATCHED_SRC" diff --name-only pagemove-base HEAD -- '*.c' |
	sed 's/\.c$/.o/')
[ ${#objs[@]} -gt 0 ] || die "the series touches no C file?"
ccache_env

# w1 stock|patched: W=1 warnings for the touched objects, one "file: message"
# per line, line numbers dropped (patches move code).
w1() {
	local src o log
	src=$(kernel_src "$1")
	log=$src/obj/w1.log
	: >"$log"
	for o in "${objs[@]}"; do
		[ -f "$src/${o%.o}.c" ] || continue
		kmake "$1" -s W=1 "$o" >>"$log" 2>&1 ||
			{ tail -n 20 "$log" >&2; die "W=1 build of $o failed in $src"; }
	done
	sed -n 's/^\([^:]*\.[ch]\):[0-9]*:[0-9]*: warning: /\1: /p' "$log" | sort
}

[ -f "$STOCK_SRC/obj/vmlinux" ] || die "build the stock kernel first (make kernel KERNEL=stock)"
log "W=1 baseline on the base for: ${objs[*]}"
base_w=$(w1 stock)
log "base: $(echo "$base_w" | grep -c .) W=1 warnings in those files"
for k in $(seq 1 "$n"); do
	name=$(basename "${patches[$((k - 1))]}")
	STEP="series-builds $k/$n"
	bash "$TOP/ci/series.sh" "$k" >/dev/null || die "$name does not apply"
	bash "$TOP/ci/kernel.sh" patched || die "the kernel does not build with patches up to $name"
	patched_w=$(w1 patched)
	new=$(comm -13 <(echo "$base_w") <(echo "$patched_w"))
	if [ -n "$new" ]; then
		echo "$new" >&2
		die "$name adds W=1 warnings (above)"
	fi
	log "$name: builds, no new W=1 warning ($(echo "$patched_w" | grep -c .) W=1 warnings, as on the base)"
done
