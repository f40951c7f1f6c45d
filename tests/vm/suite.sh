#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make check`'s VM tests, one boot per kernel: the smoke
# checks, then the tree's hmm-tests.  Prints PASS:/FAIL: lines for the host.
#
# usage: suite.sh EXPECTED_RELEASE EXPECTED_UTS_VERSION
set -u
here=$(dirname "$0")
bash "$here/smoke.sh" "$1" "$2"
failed=$?
if bash "$here/hmm-tests.sh"; then
	echo "PASS: hmm-tests ran to completion"
else
	echo "FAIL: hmm-tests ran to completion: see $PAGEMOVE_OUT/hmm-tests-$PAGEMOVE_KERNEL.tap"
	failed=$((failed + 1))
fi
exit $failed
