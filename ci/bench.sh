#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: cost of the series' tracepoints on device migration.  One run
# boots the stock and the patched kernel in turn (same VM shape) and times
# the tree's hmm-tests migration benchmark (256 MiB to the device and back)
# ROUNDS times on each; on the patched kernel with the migrate_device events
# disabled and enabled, alternately.  Prints medians, min-max and the ratio
# to stock; writes build/bench/hmm-cost.{log,txt}.  Then the cost of
# migratevma itself: hmmbench MiB/s without and with the tracer attached,
# alternating, on both kernels (build/bench/migratevma-cost.txt).
STEP=bench
. "$(dirname "$0")/lib.sh"

rounds=${ROUNDS:-5}
# BENCH="hmm migratevma analysis" (the default) or a subset of them.
parts=" ${BENCH:-hmm migratevma analysis} "
want() { [[ $parts == *" $1 "* ]]; }
out=$BUILD/bench
mkdir -p "$out"

# Medians, min and max: build/bin/pmstat (lib/stats.c's pm_median) reads
# "KEY VALUE" lines and prints "KEY N MEDIAN MIN MAX" for each key.
PMSTAT=$BUILD/bin/pmstat
make -C "$TOP" --no-print-directory build/bin/pmstat >/dev/null || die "cannot build pmstat"

# Guest-side costs are timed under QEMU's instruction counter: the guest
# clock advances with the instructions executed, so runs repeat (DESIGN.md).
export PAGEMOVE_VM_QEMU_OPTS="-icount shift=0,sleep=off -accel tcg,thread=single"

# in_vms SCRIPT LOG TAG: run tests/bench/SCRIPT ROUNDS in a stock, then a
# patched VM; their lines starting with TAG go to LOG and the terminal.
in_vms() {
	local k
	: >"$2"
	for k in stock patched; do
		[ -f "$(kernel_src $k)/obj/arch/x86/boot/bzImage" ] || die "build the $k kernel first"
		log "$k kernel: $1, $rounds rounds"
		bash "$TOP/ci/vm.sh" -k "$k" -m 2G -c 2 -t 3600 -- \
			bash "$TOP/tests/bench/$1" "$rounds" 2>&1 | tee -a "$2" | grep "^$3" || true
	done
	grep -q "^${3}kernel=patched" "$2" ||
		die "no measurements from the patched kernel (see $2)"
}

if want hmm; then
in_vms hmm-cost.sh "$out/hmm-cost.log" "bench "
awk '/^bench kernel=/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		print f["pages"] "|" f["dir"] "|" f["kernel"] "|" f["events"], f["ms"]
	}' "$out/hmm-cost.log" | "$PMSTAT" >"$out/hmm-cost.stats" || die "pmstat failed"
awk '{ n[$1] = $2; med[$1] = $3; lo[$1] = $4; hi[$1] = $5 }
	END {
		printf "%-5s %-4s %-22s %5s %10s %21s %9s\n", "pages", "dir", "kernel", "runs", "median ms", "min-max ms", "vs stock"
		split("thp 4k", P, " "); split("s2d d2s", D, " ")
		split("stock|off patched|off patched|on", K, " ")
		for (p = 1; p <= 2; p++) for (d = 1; d <= 2; d++) {
			base = med[P[p] "|" D[d] "|stock|off"]
			for (k = 1; k <= 3; k++) {
				key = P[p] "|" D[d] "|" K[k]
				if (!n[key]) continue
				split(K[k], kk, "|")
				label = kk[1] (kk[1] == "patched" ? ", events " kk[2] : "")
				printf "%-5s %-4s %-22s %5d %10.1f %10.1f-%-10.1f %8.3fx\n", P[p], D[d], label, n[key], med[key], lo[key], hi[key], med[key] / base
			}
		}
	}' "$out/hmm-cost.stats" | tee "$out/hmm-cost.txt"
log "256 MiB migrations, $rounds rounds each, TCG guest; table in $out/hmm-cost.txt"
fi

if want migratevma; then
in_vms migratevma-cost.sh "$out/migratevma-cost.log" "bench-mv "
awk '/^bench-mv / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		print f["kernel"] "|" f["dir"] "|" f["tracer"], f["mibs"]
	}' "$out/migratevma-cost.log" | "$PMSTAT" >"$out/migratevma-cost.stats" || die "pmstat failed"
# Each traced variant against the untraced runs of the same kernel and
# direction, which alternated with it: medians, and min-max as the spread.
awk '{ split($1, k, "|"); n[$1] = $2; med[$1] = $3; lo[$1] = $4; hi[$1] = $5
	if (k[3] != "off") order[++m] = $1 }
	END {
		printf "%-8s %-7s %-11s %5s %22s %22s %8s\n", "kernel", "dir", "tracer", "runs", "untraced MiB/s (min-max)", "traced MiB/s (min-max)", "ratio"
		for (i = 1; i <= m; i++) {
			split(order[i], k, "|"); off = k[1] "|" k[2] "|off"
			if (!n[off]) continue
			printf "%-8s %-7s %-11s %5d %8.1f (%5.1f-%5.1f) %8.1f (%5.1f-%5.1f) %7.1f%%\n", k[1], k[2], k[3], n[order[i]], med[off], lo[off], hi[off], med[order[i]], lo[order[i]], hi[order[i]], 100 * med[order[i]] / med[off]
		}
	}' "$out/migratevma-cost.stats" | tee "$out/migratevma-cost.txt"
awk '
	/^bench-mv-bpf / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (!hdr++)
			printf "\n%-8s %-7s %10s %14s %16s %9s\n", "kernel", "hooks", "migrations", "BPF time ms", "BPF us/migration", "of ioctls"
		printf "%-8s %-7s %10d %14.1f %16.1f %8.2f%%\n", f["kernel"], f["hooks"], f["migrations"], f["bpf_ns"] / 1e6, f["bpf_ns"] / 1e3 / f["migrations"], 100 * f["bpf_ns"] / f["ioctl_ns"]
	}' "$out/migratevma-cost.log" | tee -a "$out/migratevma-cost.txt"
log "migratevma overhead (goal: traced >= 98% of untraced, i.e. BPF time <= 2% of the ioctls'); table in $out/migratevma-cost.txt"
fi
want analysis || exit 0

# pagemove report speed, one core, page cache warm: the median of ROUNDS
# runs over a synthetic log of 10 M stage records shaped like migratevma's
# (373 MB), with the largest resident set of a run.
make -C "$TOP" --no-print-directory analysis build/bench/mklog >/dev/null
# us_of CMD...: wall microseconds of one run, output discarded.  Bash's own
# clock: $(date) would add two forks (~2 ms) to each side's time.
us_of() {
	local t0=${EPOCHREALTIME/./} t1
	"$@" >/dev/null 2>&1 || die "failed: $*"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0))
}
big=$out/synthetic.log
"$BUILD/bench/mklog" "$big" 10000000
"$BUILD/bin/pagemove" report --csv "$big" >/dev/null	# warm the page cache
rss=$(/usr/bin/time -f %M "$BUILD/bin/pagemove" report --csv "$big" 2>&1 >/dev/null)
for i in $(seq "$rounds"); do echo "report $(us_of "$BUILD/bin/pagemove" report --csv "$big")"; done \
	>"$out/analysis-speed.log"
rm -f "$big"

# ... against perf script reading as many events: perf records getppid()
# syscalls of a loop (1 M), pagemove reads a log of 1 M stage records; the
# two alternate, ROUNDS times, and each side's median counts.
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
n=1000000
perf record -q -e syscalls:sys_enter_getppid -o "$out/perf.data" -- \
	/usr/bin/python3 -c "import os
for _ in range($n): os.getppid()" >/dev/null 2>&1 ||
	die "perf record failed (tracefs? perf_event_paranoid?)"
"$BUILD/bench/mklog" "$out/small.log" $n
pe=$(perf script -i "$out/perf.data" 2>/dev/null | wc -l)	# also warms both
"$BUILD/bin/pagemove" report --csv "$out/small.log" >/dev/null
for i in $(seq "$rounds"); do
	echo "perf $(us_of perf script -i "$out/perf.data")"
	echo "small $(us_of "$BUILD/bin/pagemove" report --csv "$out/small.log")"
done >>"$out/analysis-speed.log"
rm -f "$out/perf.data" "$out/small.log"
awk '{ print $1, $2 / 1000 }' "$out/analysis-speed.log" | "$PMSTAT" >"$out/analysis-speed.stats" ||
	die "pmstat failed"
awk -v pe="$pe" -v events=$n -v rss="$rss" '
	{ n[$1] = $2; med[$1] = $3; lo[$1] = $4; hi[$1] = $5 }
	END {
		r = med["report"]; p = med["perf"]; s = med["small"]
		printf "pagemove report: 10000000 events in %.1f ms (median of %d, %.1f-%.1f) = %.1f M events/s, max RSS %.1f MB (goal 50 M/s)\n", r, n["report"], lo["report"], hi["report"], 10000 / r, rss / 1024
		printf "perf script: %d events in %.1f ms; pagemove report: %d events in %.1f ms (medians of %d); ratio %.0fx (goal 100x)\n", pe, p, events, s, n["small"], (p / pe) / (s / events)
	}' "$out/analysis-speed.stats" | tee "$out/analysis-speed.txt"
