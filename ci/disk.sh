#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Free space before the builds: make check needs room for up to three kernel
# trees with their O= builds.  Running out halfway gives a linker's "No space
# left on device" 10 minutes in and every later step failed for it; this
# says up front what is missing, part by part, and how much there is.
#
# The sizes (GiB, rounded up) were read off a finished make check with du:
# base tree 1.8 + its .git 0.7, one O= build 2.8, a worktree 1.8, ccache
# (zstd-compressed) 1.0 for the three kernels.  Each part counts only when
# its product is not there yet, so a warm checkout asks for little.
#
# --need prints the GiB this checkout still needs and exits 0.
# PAGEMOVE_DISK_MARGIN (GiB, default 2) is added for logs, VM images, tools.
STEP=disk
. "$(dirname "$0")/lib.sh"

ZSRACE_SRC=${PAGEMOVE_ZSRACE_SRC:-$BUILD/linux-zsrace}
margin=${PAGEMOVE_DISK_MARGIN:-2}
case $margin in ''|*[!0-9]*) die "PAGEMOVE_DISK_MARGIN must be whole GiB, not '$margin'" ;; esac

need10=0	# tenths of a GiB
parts=()
part() {	# part TENTHS WHAT: a product still to be made
	need10=$((need10 + $1))
	parts+=("$(printf '%d.%d GiB %s' $(($1 / 10)) $(($1 % 10)) "$2")")
}

[ -d "$STOCK_SRC/.git" ] || part 25 "base tree and its git objects ($STOCK_SRC)"
[ -f "$STOCK_SRC/obj/vmlinux" ] || part 28 "stock build ($STOCK_SRC/obj)"
[ -f "$PATCHED_SRC/Makefile" ] || part 18 "series worktree ($PATCHED_SRC)"
[ -f "$PATCHED_SRC/obj/vmlinux" ] || part 29 "patched build and config matrix ($PATCHED_SRC/obj*)"
[ -f "$ZSRACE_SRC/Makefile" ] || part 18 "zsrace worktree ($ZSRACE_SRC)"
[ -f "$ZSRACE_SRC/obj/vmlinux" ] || part 28 "zsrace build ($ZSRACE_SRC/obj)"
# QEMU with the companion (ci/qemu.sh): build/qemu 386 MiB, its unpacked
# source package in the cache 361 MiB (2026-12-04).
[ -x "$BUILD/qemu/build/qemu-system-x86_64" ] || part 4 "QEMU companion build ($BUILD/qemu)"
[ -d "$CACHE/qemu" ] || part 4 "QEMU source package ($CACHE/qemu)"
if [ "$(du -sm "$CACHE/ccache" 2>/dev/null | cut -f1 || echo 0)" -lt 700 ]; then
	part 10 "ccache ($CACHE/ccache)"
fi
need10=$((need10 + margin * 10))
need=$(( (need10 + 9) / 10 ))

if [ "${1:-}" = --need ]; then
	echo "$need"
	exit 0
fi

mkdir -p "$BUILD"
# df -P: one line per file system, sizes in 1024-byte blocks.
avail_k=$(df -Pk "$BUILD" | awk 'NR == 2 { print $4 }')
case $avail_k in ''|*[!0-9]*) die "cannot read the free space of $BUILD from df" ;; esac
avail=$((avail_k / 1024 / 1024))
cache_fs=$(df -Pk "$CACHE" 2>/dev/null | awk 'NR == 2 { print $1 }' || true)

for p in "${parts[@]}"; do log "to make: $p"; done
log "need about $need GiB (margin $margin GiB); $avail GiB free on $(df -P "$BUILD" | awk 'NR == 2 { print $6 }')${cache_fs:+ (ccache on $cache_fs)}"
[ "$avail" -ge "$need" ] ||
	die "$avail GiB free under $BUILD, make check needs about $need GiB: free some space (old checkouts' build/ directories, 'make distclean-tree' in one no longer used)"
log "enough room"
