#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: every step from a fresh machine to the VM tests, each one a
# named test.  A step whose prerequisite failed is counted as failed (never
# as skipped: CI must not turn green on what did not run).  Closing line:
# "N passed, N failed, N skipped" (a skip is a check a sub-suite could not
# run on this machine, said with a SKIP: line; a failed prerequisite never is).
STEP=check
. "$(dirname "$0")/lib.sh"
set +e

passed=0 failed=0 skipped=0
declare -A ok
t0=$(date +%s)
logdir=$BUILD/check
mkdir -p "$logdir"

result() {	# result NAME STATUS [WHY]
	if [ "$2" = 0 ]; then
		passed=$((passed + 1)); printf 'PASS: %s\n' "$1"
	else
		failed=$((failed + 1)); printf 'FAIL: %s%s\n' "$1" "${3:+: $3}"
	fi
}

# prereqs NAME KEY...: true if every KEY passed, else NAME counts as failed.
prereqs() {
	local name=$1 k
	shift
	for k; do
		[ "${ok[$k]:-0}" = 1 ] && continue
		result "$name" 1 "not run: '$k' failed"
		return 1
	done
}

# step KEY NAME [needs KEY...] -- CMD...: run CMD as one test.
step() {
	local key=$1 name=$2 s rc deps=()
	shift 2
	while [ "$1" != -- ]; do deps+=("$1"); shift; done
	shift
	prereqs "$name" "${deps[@]}" || return
	printf '\n=== %s\n' "$name"
	s=$(date +%s)
	"$@"
	rc=$?
	printf '=== %s: exit %d, %ds\n' "$name" $rc $(( $(date +%s) - s ))
	result "$name" $rc
	[ $rc = 0 ] && ok[$key]=1
}

# Count the PASS:/FAIL: lines a sub-suite prints; its exit status must agree.
suite() {	# suite KEY NAME LOG [needs...] -- CMD...
	local key=$1 name=$2 log=$3 s rc np nf ns deps=()
	shift 3
	while [ "$1" != -- ]; do deps+=("$1"); shift; done
	shift
	prereqs "$name" "${deps[@]}" || return
	printf '\n=== %s\n' "$name"
	s=$(date +%s)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	printf '=== %s: exit %d, %ds\n' "$name" "$rc" $(( $(date +%s) - s ))
	np=$(grep -c '^PASS: ' "$log")
	nf=$(grep -c '^FAIL: ' "$log")
	ns=$(grep -c '^SKIP: ' "$log")
	passed=$((passed + np)); failed=$((failed + nf)); skipped=$((skipped + ns))
	if [ "$rc" != 0 ] && [ "$nf" = 0 ]; then
		result "$name" 1 "exit $rc without a FAIL line (see $log)"
	elif [ "$np" = 0 ] && [ "$nf" = 0 ]; then
		result "$name" 1 "ran no check"
	else
		[ "$nf" = 0 ] && ok[$key]=1
	fi
}

vm_exit_status() {	# a command's exit status and output come back from the guest
	local out rc
	out=$(bash "$TOP/ci/vm.sh" -k stock -m 1G -c 1 -t 300 -- 'echo guest-says-hello; exit 7' 2>&1)
	rc=$?
	echo "$out" | tail -n 5
	[ $rc = 7 ] && echo "$out" | grep -q '^guest-says-hello' ||
		{ echo "expected exit 7 and the guest's output, got exit $rc" >&2; return 1; }
}

step deps "make deps: packages and virtme-ng installed" -- bash "$TOP/ci/deps.sh"
suite cunit "C unit tests (ASan, UBSan)" "$logdir/cunit.log" deps -- \
	make -C "$TOP" --no-print-directory unit
step fuzz "libFuzzer: every pagemove subcommand, its gnuplot program and balloonctl's QMP client survive ${FUZZ_SECONDS:-30}s each" deps -- \
	make -C "$TOP" --no-print-directory fuzz
suite analysis "pagemove CLI: goldens from real tracer logs, damaged logs" \
	"$logdir/analysis.log" deps -- make -C "$TOP" --no-print-directory analysis-test
# Room for three kernel trees and their builds, checked before the first
# of them: a full disk otherwise shows as a linker error ten minutes in.
step disk "disk: room for the kernel trees and builds still to make" -- bash "$TOP/ci/disk.sh"
step tree "make tree: pinned base unpacked, SHA256 and commit ID verified" deps disk -- \
	bash "$TOP/ci/tree.sh"
# After tree: the planted-config test runs olddefconfig in the base tree.
suite unit "ci unit tests" "$logdir/unit.log" tree -- bash "$TOP/tests/ci/run.sh"
step series "make series: patches/ applies with git am" tree -- bash "$TOP/ci/series.sh"
step checkpatch "checkpatch --strict on every patch" series -- bash "$TOP/ci/checkpatch.sh"
step cover "cover letter: [PATCH vN 0/M], changes since v(N-1), base, get_maintainer.pl To/Cc" \
	series -- bash "$TOP/ci/cover-check.sh"
step kstock "make kernel KERNEL=stock" tree -- bash "$TOP/ci/kernel.sh" stock
step kpatched "every prefix of the series builds, no new W=1 warning; patched kernel built" \
	series kstock -- bash "$TOP/ci/series-builds.sh"
suite matrix "config matrix: tracing off, modules (modpost), no balloon migration, i386" \
	"$logdir/config-matrix.log" series -- bash "$TOP/ci/config-matrix.sh"
step tools "make bpf tools analysis: BPF objects, loaders and the CLI build" kstock -- \
	make -C "$TOP" --no-print-directory bpf tools analysis
suite toolscli "tools: -h, --help, exit codes (host)" "$logdir/tools-cli.log" tools -- \
	make -C "$TOP" --no-print-directory tools-test
step selftests "make selftests: the tree's hmm-tests build" tree -- bash "$TOP/ci/selftests.sh"
# make qemu in the background from here (qemu_wait collects it), at nice
# 19 beside the VM suites' single-threaded TCG, in its own process group:
# killed with make check (ci/qemu.sh also locks build/qemu).
qemu_pid=
if [ "${ok[deps]:-0}" = 1 ]; then
	setsid nice -n 19 bash "$TOP/ci/qemu.sh" >"$logdir/qemu.log" 2>&1 </dev/null &
	qemu_pid=$!
	trap '[ -z "$qemu_pid" ] || kill -- -"$qemu_pid" 2>/dev/null' EXIT
	trap 'exit 130' INT TERM
fi
qemu_wait() {
	local rc=0
	[ -n "$qemu_pid" ] || { echo "ci/qemu.sh was not started"; return 1; }
	wait "$qemu_pid" || rc=$?
	qemu_pid=
	tail -n 5 "$logdir/qemu.log"
	return $rc
}
step vmexit "vm: guest exit status and output reach the host" kstock -- vm_exit_status
suite vmpatched "vm patched: smoke, series events, hmm-tests, migratevma, zsmigrate" "$logdir/vm-patched.log" \
	kpatched tools selftests -- vm_suite patched "$logdir/vm-patched.log"
suite vmstock "vm stock: smoke, hmm-tests, migratevma, zsmigrate" "$logdir/vm-stock.log" \
	kstock tools selftests -- vm_suite stock "$logdir/vm-stock.log"
# balloonlat in a small guest of each kernel (tp_btf on patched, fentry on
# stock) and on QEMU: its pages, requests and QEMU's madvise calls against
# vmstat, QMP, bpftrace; every row of the balloon table within the wall time.
suite balloonlat "balloonlat: pages, requests, host madvise counted independently" \
	"$logdir/balloonlat.log" kpatched tools -- env BALLOONLAT_CHECK=1 BALLOON_GUEST=2G \
	BALLOON_TO=256M bash "$TOP/ci/balloon-table.sh"
suite vmballoon "vm patched: balloon with deflate-on-oom, the OOM notifier deflates" \
	"$logdir/vm-balloon-oom.log" kpatched -- vm_balloon_oom "$logdir/vm-balloon-oom.log"
step hmmcmp "hmm-tests: every stock pass passes on patched" vmpatched vmstock -- \
	bash "$TOP/tests/hmm-compare.sh" "$BUILD/vm/out/hmm-tests-stock.tap" \
	"$BUILD/vm/out/hmm-tests-patched.tap"

# zsmigrate against a planted race: the third kernel (series +
# patches/testing/zsrace-*.patch; ccache serves all but mm/zsmalloc.o), one
# boot: the delay-only control (0 reports), then the race (>= 1 report).
vm_zsrace() {
	PAGEMOVE_OUT=$BUILD/vm/out PAGEMOVE_OBJ=$BUILD/linux-zsrace/obj \
		bash "$TOP/ci/vm.sh" -k patched -m 2G -c 2 -t 1200 -- \
		PAGEMOVE_KERNEL=zsrace bash "$TOP/tests/vm/zsstress.sh" control race
}
step kzsrace "make zsrace-kernel: the series + the planted race and its control build" \
	kpatched -- bash "$TOP/ci/zsrace-kernel.sh"
suite vmzsrace "vm zsrace: zsmigrate reports the planted race, not the delay-only control" \
	"$logdir/vm-zsrace.log" kzsrace tools -- vm_zsrace
# The same kernel's forced tell_host() failures: every begin event has its
# end, and deflate releases only what the host was told about.
suite vmballoonfail "vm testing kernel: tell_host() failures, deflate tells before it releases" \
	"$logdir/vm-balloon-fail.log" kzsrace tools -- vm_balloon_fail "$logdir/vm-balloon-fail.log"

# The QEMU companion with its test-only knob (ci/qemu.sh, build/qemu),
# built while the VM suites above ran (they use one core: single-threaded
# TCG; the zsrace build shares both).
step qemu "make qemu: bookworm's QEMU 7.2 + patches/qemu + patches/testing/qemu-*" deps -- \
	qemu_wait
suite vmballoonmax "vm patched, QEMU companion acking at most 256 PFNs a buffer (as Firecracker): no hang, deflate-on-oom" \
	"$logdir/vm-balloon-maxpfns.log" kpatched qemu -- vm_balloon_maxpfns "$logdir/vm-balloon-maxpfns.log"

printf '\nmake check took %ds; build/ holds %s, ccache %s, %s free\n' $(( $(date +%s) - t0 )) \
	"$(du -sh "$BUILD" 2>/dev/null | cut -f1)" "$(du -sh "$CACHE/ccache" 2>/dev/null | cut -f1)" \
	"$(df -Ph "$BUILD" | awk 'NR == 2 { print $4 }')"
# A check a sub-suite could not run is a counted SKIP (its "SKIP:" line
# says why), never left out of this line.
printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
