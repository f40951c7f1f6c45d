#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build one tree (stock = pinned base, patched = base + patches/) with ccache.
# The full Kbuild log goes to <src>/obj/build.log; the terminal gets a
# progress line every 250 compiled files, the wall time and ccache's hit rate.
#
# usage: ci/kernel.sh stock|patched [make targets...]
STEP=kernel
. "$(dirname "$0")/lib.sh"

which=${1:-patched}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(bzImage)
src=$(kernel_src "$which")
STEP="kernel $which"

bash "$TOP/ci/config.sh" "$which"
ccache_env
command -v ccache >/dev/null || die "ccache missing: run 'make deps'"

jobs=${JOBS:-$(nproc)}
log "building ${targets[*]} in $src/obj (-j$jobs, ccache $CCACHE_DIR)"
ccache -z >/dev/null
start=$(date +%s)
set +e
kmake "$which" -j"$jobs" "${targets[@]}" 2>&1 | tee "$src/obj/build.log" |
	awk -v tag="[$STEP]" '
		/^  (CC|AS|LD|AR|BTF|GEN|HOSTCC)/ { n++; if (n % 250 == 0) { printf "%s %d steps...\n", tag, n; fflush() } }
		/(error|warning):/ { print; fflush() }
		END { printf "%s %d build steps\n", tag, n }' >&2
rc=${PIPESTATUS[0]}
set -e
secs=$(( $(date +%s) - start ))
if [ "$rc" != 0 ]; then
	grep -E -B2 -A6 'error|Error [0-9]' "$src/obj/build.log" | tail -n 40 >&2
	die "kernel build failed (exit $rc); full log: $src/obj/build.log"
fi
stats=$(ccache -s 2>/dev/null | grep -E '^ *(Hits|Misses):' | tr -s ' ' | paste -sd' ' -)
release=$(kmake "$which" -s kernelrelease)
printf '%s %s %ss\n' "$which" "$release" "$secs" >"$src/obj/.pagemove-build-time"
log "built $release in ${secs}s; ccache: ${stats:-n/a}"
[ -f "$src/obj/arch/x86/boot/bzImage" ] || die "no bzImage after the build"
