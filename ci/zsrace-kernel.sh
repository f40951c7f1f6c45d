#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make zsrace-kernel: the third kernel, for zsmigrate's race detector: the
# patched tree (branch pagemove) + patches/testing/zsrace-*.patch (a delay
# inside zs_page_migrate() and the planted race, both off until switched
# on through /sys/module/zsmalloc/parameters) + the balloon's forced
# tell_host() failures (patches/testing/0001-*), in its own worktree
# build/linux-zsrace (branch pagemove-zsrace), built in its obj/ with the
# patched kernel's .config.  The worktree sits in build/ next to the other
# trees, so Kbuild's relative paths are the same and ccache serves every
# object the patches do not touch: only mm/zsmalloc.o is compiled, the
# rest is the link.  One kernel for both runs: migrate_delay_us alone is
# the control, with planted_race=1 the race.
#
# usage: ci/zsrace-kernel.sh      (needs the patched kernel built: its .config)
STEP="kernel zsrace"
. "$(dirname "$0")/lib.sh"

ZSRACE_SRC=${PAGEMOVE_ZSRACE_SRC:-$BUILD/linux-zsrace}
ZSRACE_BRANCH=${SERIES_BRANCH}-zsrace
mapfile -t plants < <(find "$PATCHES/testing" -maxdepth 1 -name 'zsrace-*.patch' | sort)
[ ${#plants[@]} -gt 0 ] || die "no patches/testing/zsrace-*.patch"
# The same kernel carries the balloon's forced tell_host() failures (off
# until written to): tests/vm/balloon-fail.sh, a fourth kernel saved.
plants+=("$PATCHES/testing/0001-virtio_balloon-fail-tell-host.patch")
[ -f "${plants[-1]}" ] || die "no ${plants[-1]}"
[ -d "$STOCK_SRC/.git" ] || die "no base tree: run 'make tree' first"
[ -f "$PATCHED_SRC/obj/.config" ] || die "no $PATCHED_SRC/obj/.config: build the patched kernel first"
# Reading the patched tree never writes to it (no index refresh).
export GIT_OPTIONAL_LOCKS=0
head=$(git -C "$PATCHED_SRC" rev-parse HEAD)
want=$( { echo "$head"; cat "${plants[@]}"; } | sha256sum | cut -d' ' -f1)

if [ ! -d "$ZSRACE_SRC" ]; then
	log "creating worktree $ZSRACE_SRC"
	git -C "$STOCK_SRC" worktree prune
	git -C "$STOCK_SRC" worktree add -q --detach "$ZSRACE_SRC" "$head"
fi
g() { git -C "$ZSRACE_SRC" "$@"; }
stamp=pagemove.$ZSRACE_BRANCH.plants
if [ "$(g config --get "$stamp" || true)" != "$want" ] ||
   [ "$(g symbolic-ref -q --short HEAD || true)" != "$ZSRACE_BRANCH" ] ||
   [ -n "$(g status --porcelain --untracked-files=no)" ]; then
	export GIT_COMMITTER_NAME=$BASE_IDENT_NAME GIT_COMMITTER_EMAIL=$BASE_IDENT_EMAIL \
		GIT_COMMITTER_DATE=$BASE_DATE
	g am --abort >/dev/null 2>&1 || true
	g config --unset "$stamp" || true
	g checkout -q -f -B "$ZSRACE_BRANCH" "$head"
	log "git am ${#plants[@]} test-only patches onto the series ($(git -C "$PATCHED_SRC" rev-parse --short HEAD))"
	if ! out=$(g am --no-3way "${plants[@]}" 2>&1); then
		echo "$out" >&2
		failed=$(echo "$out" | sed -n 's/^Patch failed at \(.*\)$/\1/p' | head -n1)
		g am --abort >/dev/null 2>&1 || true
		die "a test-only patch does not apply on top of the series: ${failed:-see git am output above}"
	fi
	g config "$stamp" "$want"
fi

# The patched kernel's configuration, as it is (the patches touch no Kconfig).
mkdir -p "$ZSRACE_SRC/obj"
if ! cmp -s "$PATCHED_SRC/obj/.config" "$ZSRACE_SRC/obj/.config.pagemove-from"; then
	cp "$PATCHED_SRC/obj/.config" "$ZSRACE_SRC/obj/.config"
	cp "$PATCHED_SRC/obj/.config" "$ZSRACE_SRC/obj/.config.pagemove-from"
fi
ccache_env
command -v ccache >/dev/null || die "ccache missing: run 'make deps'"
PATCHED_SRC=$ZSRACE_SRC	# kmake patched: this tree, LOCALVERSION -pagemove-zsrace
export KLOCALVERSION=-zsrace
kmake patched -s olddefconfig >/dev/null || die "olddefconfig failed"
cmp -s "$ZSRACE_SRC/obj/.config" "$ZSRACE_SRC/obj/.config.pagemove-from" ||
	die "olddefconfig changed the patched kernel's .config: $(diff "$ZSRACE_SRC/obj/.config.pagemove-from" "$ZSRACE_SRC/obj/.config" | grep '^[<>]' | head -n 3 | tr '\n' ' ')"

jobs=${JOBS:-$(nproc)}
log "building bzImage in $ZSRACE_SRC/obj (-j$jobs, ccache $CCACHE_DIR)"
ccache -z >/dev/null
start=$(date +%s)
set +e
kmake patched -j"$jobs" bzImage >"$ZSRACE_SRC/obj/build.log" 2>&1
rc=$?
set -e
secs=$(( $(date +%s) - start ))
if [ "$rc" != 0 ]; then
	grep -E -B2 -A6 'error|Error [0-9]' "$ZSRACE_SRC/obj/build.log" | tail -n 40 >&2
	die "zsrace kernel build failed (exit $rc); full log: $ZSRACE_SRC/obj/build.log"
fi
stats=$(ccache -s 2>/dev/null | grep -E '^ *(Hits|Misses):' | tr -s ' ' | paste -sd' ' -)
compiled=$(grep -c '^  CC  ' "$ZSRACE_SRC/obj/build.log" || true)
release=$(cat "$ZSRACE_SRC/obj/include/config/kernel.release")
printf 'zsrace %s %ss\n' "$release" "$secs" >"$ZSRACE_SRC/obj/.pagemove-build-time"
log "built $release in ${secs}s ($compiled CC steps); ccache: ${stats:-n/a}"
[ -f "$ZSRACE_SRC/obj/arch/x86/boot/bzImage" ] || die "no bzImage after the build"
grep -q 'planted_race' "$ZSRACE_SRC/mm/zsmalloc.c" || die "the tree has no planted_race"
grep -q 'fail_tell_host_after' "$ZSRACE_SRC/drivers/virtio/virtio_balloon.c" ||
	die "the tree has no fail_tell_host_after"
