#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make selftests: build the tree's own hmm-tests (tools/testing/selftests/mm)
# against the base's UAPI headers.  Never builds inside the source tree:
# headers go to build/selftests/hdr, the binary to build/selftests/mm.
# No patch in the series touches the selftests, so one build serves both
# kernels.
STEP=selftests
. "$(dirname "$0")/lib.sh"

[ -f "$STOCK_SRC/Makefile" ] || die "no base tree: run 'make tree' first"
out=$BUILD/selftests
bin=$out/mm/hmm-tests
if [ -x "$bin" ] && [ "$bin" -nt "$STOCK_SRC/tools/testing/selftests/mm/hmm-tests.c" ]; then
	log "$bin up to date"
	exit 0
fi
mkdir -p "$out/mm" "$out/hdr-obj"
log "installing UAPI headers"
make -s -C "$STOCK_SRC" O="$out/hdr-obj" headers_install INSTALL_HDR_PATH="$out/hdr" \
	>"$out/headers.log" 2>&1 || { tail -n 20 "$out/headers.log" >&2; die "headers_install failed"; }
log "building hmm-tests"
make -s -C "$STOCK_SRC/tools/testing/selftests/mm" KHDR_INCLUDES="-isystem $out/hdr/include" \
	OUTPUT="$out/mm" "$bin" >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "hmm-tests build failed"; }
[ -z "$(git -C "$STOCK_SRC" status --porcelain --untracked-files=no)" ] ||
	die "building the selftests modified the source tree"
log "built $bin"
