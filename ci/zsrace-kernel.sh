#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make zsrace-kernel: the third kernel, for zsmigrate's race detector: the
# patched tree (branch pagemove) + patches/testing/zsrace-*.patch (a delay
# inside zs_page_migrate() and the planted race, both off until switched
# on through /sys/module/zsmalloc/parameters) + the balloon's forced
# tell_host() failures (patches/testing/0001-*), in its own worktree
# build/linux-zsrace (branch pagemove-zsrace; ci/derived-kernel.sh): only
# mm/zsmalloc.o and the driver are compiled, the rest is ccache and the
# link.  One kernel for both runs: migrate_delay_us alone is the control,
# with planted_race=1 the race.
#
# usage: ci/zsrace-kernel.sh      (needs the patched kernel built: its .config)
STEP="kernel zsrace"
. "$(dirname "$0")/lib.sh"

mapfile -t plants < <(find "$PATCHES/testing" -maxdepth 1 -name 'zsrace-*.patch' | sort)
[ ${#plants[@]} -gt 0 ] || die "no patches/testing/zsrace-*.patch"
# The same kernel carries the balloon's forced tell_host() failures (off
# until written to): tests/vm/balloon-fail.sh, a fourth kernel saved.
plants+=("$PATCHES/testing/0001-virtio_balloon-fail-tell-host.patch")
[ -f "${plants[-1]}" ] || die "no ${plants[-1]}"
bash "$TOP/ci/derived-kernel.sh" zsrace HEAD "${plants[@]}"
ZSRACE_SRC=$BUILD/linux-zsrace
grep -q 'planted_race' "$ZSRACE_SRC/mm/zsmalloc.c" || die "the tree has no planted_race"
grep -q 'fail_tell_host_after' "$ZSRACE_SRC/drivers/virtio/virtio_balloon.c" ||
	die "the tree has no fail_tell_host_after"
