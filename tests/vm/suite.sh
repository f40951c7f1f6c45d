#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make check`'s VM tests, one boot per kernel: the smoke
# checks, then the tree's hmm-tests -- on the patched kernel inside the
# tracepoint checks of tests/vm/events.sh, which also run the zsmalloc and
# balloon workloads -- then each tracer against its workload (migratevma
# with hmmbench, zsmigrate with zram and with zsstress).  Prints PASS:/FAIL: lines for the host.
#
# usage: suite.sh EXPECTED_RELEASE EXPECTED_UTS_VERSION
set -u
here=$(dirname "$0")
failed=0
. "$here/lib.sh"
bash "$here/smoke.sh" "$1" "$2"
failed=$?
if [ "$PAGEMOVE_KERNEL" = patched ]; then
	bash "$here/events.sh"
	failed=$((failed + $?))
elif bash "$here/hmm-tests.sh"; then
	pass "hmm-tests ran to completion"
else
	fail "hmm-tests ran to completion" "see $PAGEMOVE_OUT/hmm-tests-$PAGEMOVE_KERNEL.tap"
fi
# The tracers, each against its workload.
bash "$here/migratevma.sh"
failed=$((failed + $?))
bash "$here/zsmigrate.sh"
failed=$((failed + $?))
# zsstress with migration forced, zsmigrate attached, through zram and
# through zswap: no race on a clean kernel.
bash "$here/zsstress.sh" clean zswap
failed=$((failed + $?))
exit $failed
