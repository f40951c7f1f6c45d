#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Compare hmm-tests TAP output of the stock and the patched kernel: every
# test that passes on stock must pass on patched.  Prints both counts.
# A run that did not reach its Totals line, or a stock run with no pass at
# all, is an error: an empty comparison proves nothing.
#
# usage: tests/hmm-compare.sh STOCK.tap PATCHED.tap
set -u
[ $# = 2 ] || { echo "usage: $0 STOCK.tap PATCHED.tap" >&2; exit 2; }

# Names of passed tests: "ok N name" without a SKIP directive.
passed() { sed -n '/# SKIP/d; s/^ok [0-9][0-9]* \([^ #]*\).*/\1/p' "$1" | sort -u; }
totals() { grep -m1 '^# Totals' "$1" || true; }

for f in "$1" "$2"; do
	[ -s "$f" ] || { echo "hmm-compare: $f missing or empty" >&2; exit 1; }
	[ -n "$(totals "$f")" ] || { echo "hmm-compare: $f has no Totals line (suite died?)" >&2; exit 1; }
done
stock=$(passed "$1")
patched=$(passed "$2")
ns=$(printf '%s' "$stock" | grep -c .)
np=$(printf '%s' "$patched" | grep -c .)
echo "stock:   $ns passed  ($(totals "$1"))"
echo "patched: $np passed  ($(totals "$2"))"
[ "$ns" -gt 0 ] || { echo "hmm-compare: no test passed on stock" >&2; exit 1; }
lost=$(comm -23 <(echo "$stock") <(echo "$patched"))
if [ -n "$lost" ]; then
	echo "hmm-compare: passed on stock but not on patched:" >&2
	echo "$lost" | sed 's/^/  /' >&2
	exit 1
fi
echo "every test that passes on stock passes on patched"
