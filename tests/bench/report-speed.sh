#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# pagemove report speed (make bench; runs on the host, no VM):
#  1. one core, page cache warm: `pagemove report` over a synthetic log of
#     10 M stage slices shaped like migratevma's, ROUNDS runs, and the
#     largest resident set of a run;
#  2. side by side in one run, alternating, ROUNDS rounds: perf records 1 M
#     getppid() syscalls of a loop; pagemove reads a log of 1 M stage
#     slices; each round times `perf script` (text, one line per event),
#     `perf report --stdio` (an aggregating reader, like pagemove report)
#     and `pagemove report --csv`.  Each side's time includes its start-up.
# Usage: report-speed.sh ROUNDS OUTDIR PAGEMOVE MKLOG (pmstat beside PAGEMOVE).  Writes
# OUTDIR/analysis-speed.{log,txt}: medians, min-max, per-event ratios.
set -eu
rounds=$1 out=$2 pm=$3 mklog=$4
pmstat=$(dirname "$pm")/pmstat
mkdir -p "$out"
log=$out/analysis-speed.log
die() { echo "report-speed: $*" >&2; exit 1; }
# us_of CMD...: wall microseconds of one run, output discarded.  Bash's own
# clock: $(date) would add two forks (~2 ms) to each side's time.
us_of() {
	local t0=${EPOCHREALTIME/./} t1
	"$@" >/dev/null 2>&1 || die "failed: $*"
	t1=${EPOCHREALTIME/./}
	echo $((t1 - t0))
}
big=$out/synthetic.log
"$mklog" "$big" 10000000
"$pm" report --csv "$big" >/dev/null	# warm the page cache
rss=$(/usr/bin/time -f %M "$pm" report --csv "$big" 2>&1 >/dev/null)
for i in $(seq "$rounds"); do echo "report $(us_of "$pm" report --csv "$big")"; done >"$log"
rm -f "$big"

mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
n=1000000
perf record -q -e syscalls:sys_enter_getppid -o "$out/perf.data" -- \
	/usr/bin/python3 -c "import os
for _ in range($n): os.getppid()" >/dev/null 2>&1 ||
	die "perf record failed (tracefs? perf_event_paranoid?)"
"$mklog" "$out/small.log" $n
pe=$(perf script -i "$out/perf.data" 2>/dev/null | wc -l)	# also warms both
perf report --stdio -i "$out/perf.data" >/dev/null 2>&1
"$pm" report --csv "$out/small.log" >/dev/null
for i in $(seq "$rounds"); do
	echo "perf_script $(us_of perf script -i "$out/perf.data")"
	echo "perf_report $(us_of perf report --stdio -i "$out/perf.data")"
	echo "small $(us_of "$pm" report --csv "$out/small.log")"
done >>"$log"
rm -f "$out/perf.data" "$out/small.log"
# Medians by the one implementation (lib/stats.c through pmstat), in ms.
awk '{ print $1, $2 / 1000 }' "$log" | "$pmstat" >"$log.stats" || { echo "pmstat failed" >&2; exit 1; }
awk -v pe="$pe" -v n="$n" -v rss="$rss" '
	{ c[$1] = $2; m[$1] = $3; sp[$1] = sprintf("%.1f-%.1f", $4, $5) }
	END {
		printf "pagemove report: 10000000 events in %.1f ms (median of %d, %s) = %.0f M events/s, max RSS %.1f MB (goal 50 M/s)\n", m["report"], c["report"], sp["report"], 10000 / m["report"], rss / 1024
		s = m["small"]
		printf "1 M events, medians of %d rounds side by side (min-max ms): pagemove report %.1f ms (%s); perf report --stdio %.1f ms (%s) for %d events; perf script %.1f ms (%s)\n", c["small"], s, sp["small"], m["perf_report"], sp["perf_report"], pe, m["perf_script"], sp["perf_script"]
		printf "per event: %.0fx perf report --stdio (goal 50x), %.0fx perf script\n", (m["perf_report"] / pe) / (s / n), (m["perf_script"] / pe) / (s / n)
	}' "$log.stats" | tee "$out/analysis-speed.txt"
