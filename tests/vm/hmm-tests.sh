#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side: run the tree's hmm-tests as they are, from a tmpfs (the file_*
# tests fail on virtme's overlay root), and keep the TAP output in
# $PAGEMOVE_OUT/hmm-tests-$PAGEMOVE_KERNEL.tap for the host to compare.
# Exit status 0 if the suite ran to its Totals line (failures inside it are
# judged on the host, against the stock kernel's results).
set -u
top=${PAGEMOVE_TOP:?}
tap=${PAGEMOVE_OUT:?}/hmm-tests-${PAGEMOVE_KERNEL:?}.tap
dir=/run/pagemove-hmm
mkdir -p "$dir"
mount -t tmpfs -o size=512M tmpfs "$dir" || exit 1
cp "$top/build/selftests/mm/hmm-tests" "$dir/"
cd "$dir" || exit 1
start=$(date +%s)
./hmm-tests >"$tap" 2>&1
rc=$?
echo "hmm-tests on $(uname -r): exit $rc in $(( $(date +%s) - start ))s: $(grep -m1 '^# Totals' "$tap")"
cd / && umount "$dir"
grep -q '^# Totals' "$tap"
