#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check-debug: the patched kernel with lockdep (PROVE_LOCKING), KASAN,
# DEBUG_VM and DEBUG_VM_PGFLAGS (kconfig/variants/debug.config), built in
# <patched tree>/obj-debug, boots and runs every workload of the VM suite
# plus hmmbench --thp (tests/vm/debug-run.sh), with the host driving the
# balloon over QMP as in `make check`.  Then the kernel log -- followed
# from boot, dumped at the end -- and the console are scanned: every splat
# (lockdep, KASAN, BUG, WARNING, list corruption, bad page, ...) is a FAIL
# with its first lines.  A guest that never dumped its log is a FAIL too.
# The guest suite's own PASS/FAIL lines are counted.  Closing line
# "N passed, N failed".
#
# PAGEMOVE_DEBUG_PLANT=FILE.patch applies a test-only kernel patch
# (patches/testing/) on top of the series for this run and removes it
# afterwards: the way to see a splat caught.  PAGEMOVE_DEBUG_KOBJ=DIR boots
# the kernel in DIR instead of building one (to test this script; counted
# as a FAIL of the build step).
STEP=check-debug
. "$(dirname "$0")/lib.sh"
. "$TOP/ci/variant.sh"
set +e

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1${2:+: $2}"; }
finish() {
	printf 'make check-debug took %ds\n' $(( $(date +%s) - t0 ))
	printf '%d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" = 0 ]
	exit
}
cleanup() {
	[ -z "$plant" ] || git -C "$PATCHED_SRC" apply -R "$plant"
}
trap cleanup EXIT
t0=$(date +%s)
obj=$PATCHED_SRC/obj-debug
out=$BUILD/vm/out-debug
logdir=$BUILD/check
mkdir -p "$logdir" "$out"
vmlog=$logdir/vm-debug.log

plant=
bash "$TOP/ci/series.sh" >/dev/null || { fail "debug: series applied" "ci/series.sh failed"; finish; }
if [ -n "${PAGEMOVE_DEBUG_PLANT:-}" ]; then
	p=$(realpath "$PAGEMOVE_DEBUG_PLANT")
	git -C "$PATCHED_SRC" apply "$p" || { fail "debug: planted $(basename "$p") applies"; finish; }
	plant=$p
	# Removed at exit (a later ci/series.sh would also find the tree
	# dirty and apply the series again).
	echo "planted $(basename "$plant") on top of the series"
fi

secs=0
if [ -n "${PAGEMOVE_DEBUG_KOBJ:-}" ]; then
	# Testing this script: boot a kernel built elsewhere.  Its .config is
	# still checked against debug.config, and a miss is a FAIL.
	obj=$PAGEMOVE_DEBUG_KOBJ
	if out_cfg=$(config_holds "$obj/.config" "$(variant_fragment debug)" variants/debug.config); then
		pass "debug: $obj/.config has every option of variants/debug.config"
	else
		fail "debug: $obj/.config has every option of variants/debug.config" "$(echo; echo "$out_cfg" | sed 's/^/    /')"
	fi
	fail "debug: the debug kernel builds" "not built: PAGEMOVE_DEBUG_KOBJ=$obj"
else
	if out_cfg=$(variant_config debug); then
		pass "debug: $out_cfg"
	else
		fail "debug: .config has what kconfig/variants/debug.config asks for" "$out_cfg"
		finish
	fi
	# The build: its wall time and ccache's hits say whether it was cold.
	ccache_env
	ccache -z >/dev/null
	s=$(date +%s)
	KOBJ=obj-debug KLOCALVERSION=-debug kmake patched -j"${JOBS:-$(nproc)}" bzImage >"$obj/build.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - s ))
	stats=$(ccache -s 2>/dev/null | grep -E '^ *(Hits|Misses):' | tr -s ' ' | paste -sd' ' -)
	if [ $rc != 0 ]; then
		fail "debug: the debug kernel builds" "exit $rc after ${secs}s: $(grep -E -m 5 'error|Error [0-9]' "$obj/build.log" | tr '\n' ' ')"
		finish
	fi
	pass "debug: $(cat "$obj/include/config/kernel.release") builds (${secs}s; ccache:${stats:- n/a})"
fi
release=$(cat "$obj/include/config/kernel.release")

missing=
for f in build/bin/tpcheck build/bin/hmmbench build/bin/migratevma build/bin/balloonctl \
	build/selftests/mm/hmm-tests; do
	[ -x "$TOP/$f" ] || missing="$missing $f"
done
if [ -n "$missing" ]; then
	fail "debug: workloads built" "missing:$missing (make bpf tools selftests)"
	finish
fi

# The VM run, the host driving the balloon as vm_suite does.
sock=$BUILD/vm/qmp-debug.sock
rm -f "$sock" "$out/dmesg-follow.txt" "$out/dmesg.txt"
: >"$vmlog"
bash "$TOP/tests/balloon-drive.sh" "$sock" "$vmlog" 512 >"$logdir/balloon-debug.log" 2>&1 &
driver=$!
s=$(date +%s)
PAGEMOVE_OUT=$out PAGEMOVE_OBJ=$obj bash "$TOP/ci/vm.sh" -k patched -m 2G -c 2 \
	-t "${DEBUG_VM_TIMEOUT:-5400}" -q "$sock" -- \
	PAGEMOVE_BALLOON=1 bash "$TOP/tests/vm/debug-run.sh" "$release" \
	"'$(sed -n 's/^#define UTS_VERSION "\(.*\)"/\1/p' "$obj/include/generated/utsversion.h")'" \
	2>&1 | tee "$vmlog"
vrc=${PIPESTATUS[0]}
vsecs=$(( $(date +%s) - s ))
kill "$driver" 2>/dev/null
wait "$driver"
drc=$?
cat "$logdir/balloon-debug.log"
np=$(grep -c '^PASS: ' "$vmlog") nf=$(grep -c '^FAIL: ' "$vmlog")
passed=$((passed + np)) failed=$((failed + nf))
if [ "$drc" = 0 ]; then
	pass "debug: host inflated and deflated the guest's balloon over QMP"
else
	fail "debug: host inflated and deflated the guest's balloon over QMP" "exit $drc"
fi
if grep -q '^pagemove: debug workloads done' "$vmlog"; then
	pass "debug: the workloads ran to the end (guest ${vsecs}s, exit $vrc, $np passed, $nf failed)"
else
	fail "debug: the workloads ran to the end" "guest exit $vrc after ${vsecs}s"
fi

# The scan (ci/splat-scan.sh): the log followed from boot, the final dump
# and the console's kernel lines (a guest that panics leaves only those).
scan=$(bash "$TOP/ci/splat-scan.sh" "debug kernel log" \
	"$out/dmesg-follow.txt" "$out/dmesg.txt" "$vmlog")
echo "$scan"
nsplat=$(grep -c '^FAIL: ' <<<"$scan")
passed=$((passed + $(grep -c '^PASS: ' <<<"$scan"))) failed=$((failed + nsplat))
[ -s "$out/dmesg.txt" ] || fail "debug: the guest dumped its kernel log" "no $out/dmesg.txt"
echo "debug kernel: build ${secs}s, VM run ${vsecs}s, $nsplat splats"
finish
