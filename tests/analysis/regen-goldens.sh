#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate tests/golden, as a reviewed step (never from a test): writes
# each golden's new text to tests/golden/NAME.new and shows its diff
# against the committed one.  Read the diff: a golden holds only layout
# (the numbers in it are checked against tests/analysis/pmlog.py by
# tests/analysis/run.sh).  Then `regen-goldens.sh --accept` renames the
# .new files over the goldens, for you to commit with the reason.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
P=${PAGEMOVE_BIN:-$TOP/build/unit/pagemove}
G=$TOP/tests/golden
cd "$TOP" || exit 1
if [ "${1:-}" = --accept ]; then
	for f in "$G"/*.new; do
		[ -e "$f" ] || { echo "nothing to accept: run without --accept first" >&2; exit 1; }
		mv "$f" "${f%.new}"
		echo "accepted ${f%.new}"
	done
	exit 0
fi
rc=0
gen() {
	local name=$1
	shift
	"$P" "$@" >"$G/$name.new" || { echo "pagemove $* failed" >&2; rc=1; return; }
	if cmp -s "$G/$name" "$G/$name.new"; then
		rm "$G/$name.new"
		echo "unchanged: $name"
	else
		echo "=== $name: review this diff"
		diff -u "$G/$name" "$G/$name.new"
	fi
}
gen report-patched.txt report tests/data/migratevma-patched.log
gen report-patched.json report --json tests/data/migratevma-patched.log
gen report-patched.csv report --csv tests/data/migratevma-patched.log
gen report-stock.txt report tests/data/migratevma-stock.log
gen diff-stock-patched.txt diff tests/data/migratevma-stock.log tests/data/migratevma-patched.log
gen diff-stock-patched.json diff --json tests/data/migratevma-stock.log tests/data/migratevma-patched.log
ls "$G"/*.new >/dev/null 2>&1 && echo "then: $0 --accept"
exit $rc
