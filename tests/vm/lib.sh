# SPDX-License-Identifier: GPL-2.0
# Sourced by the guest-side tests: PASS:/FAIL: lines for the host to count.
failed=${failed:-0}
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; failed=$((failed + 1)); }
# check NAME GOT WANT: pass if equal.
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1" "got '$2', want '$3'"; fi
}
# check_gt0 NAME VALUE
check_gt0() {
	if [ "${2:-0}" -gt 0 ] 2>/dev/null; then pass "$1 ($2)"; else fail "$1" "got '${2:-}', want > 0"; fi
}
