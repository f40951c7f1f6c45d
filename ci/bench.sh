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
# BENCH="hmm migratevma zsmigrate zsballoon balloon analysis size" (the default) or a subset.
parts=" ${BENCH:-hmm migratevma zsmigrate zsballoon balloon analysis size} "
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

if want zsmigrate; then
# zsmigrate's cost: zsstress's zram ops/s without and with the detector
# attached, alternating, while offlining migrates zspages every 100 ms
# (paced) and back to back (saturated; tests/bench/zsmigrate-cost.sh),
# and its BPF time per migration, in all and per program.
in_vms zsmigrate-cost.sh "$out/zsmigrate-cost.log" "bench-zs "
awk '/^bench-zs / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		print f["kernel"] "|" f["load"] "|" f["tracer"], f["ops_per_s"]
		print f["kernel"] "|" f["load"] "|" f["tracer"] "|mig", f["migrations"]
	}' "$out/zsmigrate-cost.log" | "$PMSTAT" >"$out/zsmigrate-cost.stats" || die "pmstat failed"
awk '{ split($1, k, "|"); n[$1] = $2; med[$1] = $3; lo[$1] = $4; hi[$1] = $5
	if (k[3] != "off" && k[4] == "") order[++m] = $1 }
	END {
		printf "%-8s %-9s %-7s %4s %26s %26s %7s %16s\n", "kernel", "load", "hooks", "runs", "untraced ops/s (min-max)", "traced ops/s (min-max)", "ratio", "migrations/run"
		for (i = 1; i <= m; i++) {
			split(order[i], k, "|"); off = k[1] "|" k[2] "|off"
			if (!n[off]) continue
			printf "%-8s %-9s %-7s %4d %10.1f (%6.1f-%6.1f) %10.1f (%6.1f-%6.1f) %6.1f%% %7d vs %7d\n", k[1], k[2], k[3], n[order[i]], med[off], lo[off], hi[off], med[order[i]], lo[order[i]], hi[order[i]], 100 * med[order[i]] / med[off], med[order[i] "|mig"], med[off "|mig"]
		}
	}' "$out/zsmigrate-cost.stats" | tee "$out/zsmigrate-cost.txt"
awk '
	/^bench-zs-bpf / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (!hdr++)
			printf "\n%-8s %-9s %-7s %10s %12s %17s %15s\n", "kernel", "load", "hooks", "migrations", "BPF time ms", "BPF us/migration", "of mixed phase"
		printf "%-8s %-9s %-7s %10d %12.1f %17.1f %14.2f%%\n", f["kernel"], f["load"], f["hooks"], f["migrations"], f["bpf_ns"] / 1e6, f["migrations"] ? f["bpf_ns"] / 1e3 / f["migrations"] : 0, f["run_ns"] ? 100 * f["bpf_ns"] / f["run_ns"] : 0
	}' "$out/zsmigrate-cost.log" | tee -a "$out/zsmigrate-cost.txt"
# Per program, ns per run (under the instruction counter, about instructions).
awk '
	/^bench-zs-prog / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (!hdr++)
			printf "\n%-8s %-9s %-7s %-18s %9s %12s %10s\n", "kernel", "load", "hooks", "program", "runs", "ns in all", "ns per run"
		printf "%-8s %-9s %-7s %-18s %9d %12d %10.0f\n", f["kernel"], f["load"], f["hooks"], f["prog"], f["runs"], f["ns"], f["ns"] / f["runs"]
	}' "$out/zsmigrate-cost.log" | tee -a "$out/zsmigrate-cost.txt"
log "zsmigrate overhead on zram I/O under paced and saturated migration (goal: traced >= 98% of untraced); table in $out/zsmigrate-cost.txt"
fi

if want zsballoon; then
# The zsmalloc and virtio_balloon paths with their tracepoints compiled in
# but off, against stock: zram writes, compaction, zspage migration by
# offlining, balloon inflate/deflate driven over QMP; guest CPU time per
# phase under QEMU's instruction counter (tests/bench/zs-balloon-cost.sh),
# per unit of work (page written, compacted, migrated, ballooned).  The
# kernel with the events is the series' tracepoint patches alone
# (ci/tponly-kernel.sh): the patched kernel would add the balloon speedup.
# ZB_BOOTS boots of each kernel (default 2), alternating, ROUNDS rounds a
# boot: the work of a phase changes from boot to boot more than within one.
# The whole series (patched) runs too: the guest's side of the balloon
# speedup under the instruction counter (issue 14), stock / patched.
bash "$TOP/ci/tponly-kernel.sh" || die "the tracepoint-only kernel does not build"
boots=${ZB_BOOTS:-2}
[[ $boots =~ ^[1-9][0-9]*$ ]] || die "ZB_BOOTS must be a positive number, not '$boots'"
zb_log=$out/zs-balloon-cost.log
: >"$zb_log"
for boot in $(seq "$boots"); do
for k in stock tponly patched; do
	# tponly boots as the patched tree's kernel, from its own build.
	case $k in
	stock|patched) kk=$k obj=$(kernel_src $k)/obj ;;
	*) kk=patched obj=$BUILD/linux-$k/obj ;;
	esac
	[ -f "$obj/arch/x86/boot/bzImage" ] || die "no $k kernel at $obj"
	sock=$BUILD/vm/qmp-bench-$k.sock vmlog=$out/zs-balloon-$k-$boot.vmlog
	rm -f "$sock"
	: >"$vmlog"
	bash "$TOP/tests/bench/balloon-host.sh" "$sock" "$vmlog" &
	host=$!
	log "$k kernel, boot $boot of $boots: zs-balloon-cost.sh, $rounds rounds, instruction counter"
	PAGEMOVE_OBJ=$obj bash "$TOP/ci/vm.sh" -k $kk -m 2G -c 2 -t 2400 -q "$sock" -- \
		PAGEMOVE_KERNEL=$k PAGEMOVE_BALLOON=1 bash "$TOP/tests/bench/zs-balloon-cost.sh" "$rounds" >"$vmlog" 2>&1 ||
		log "$k: the VM run failed (exit $?): its phases may be missing, see $vmlog"
	wait "$host" || log "$k: the balloon host driver failed (see $vmlog)"
	sed -n "/^bench-zb /s/\$/ boot=$boot/p" "$vmlog" >>"$zb_log"
done
done
grep -q '^bench-zb kernel=tponly' "$zb_log" ||
	die "no zsmalloc/balloon measurements from the tracepoint-only kernel (see $out/zs-balloon-tponly-1.vmlog)"
# Per unit of work, over every round of every boot; and per boot, to show
# what changes between boots.
# A phase that did no work (a compaction that freed nothing) has no cost
# per unit: counted, and said below the table.
nounits=$(awk '/^bench-zb / && / units=0( |$)/' "$zb_log" | wc -l)
awk '/^bench-zb / {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (f["units"] > 0) {
			print f["phase"] "|" f["kernel"], f["ns"] / f["units"]
			print f["phase"] "|" f["kernel"] "|" f["boot"], f["ns"] / f["units"]
		}
	}' "$zb_log" | "$PMSTAT" >"$out/zs-balloon-cost.stats" || die "pmstat failed"
awk -v boots="$boots" '{ n[$1] = $2; med[$1] = $3; lo[$1] = $4; hi[$1] = $5 }
	END {
		u["write"] = "page written"; u["compact"] = "page compacted"; u["migrate"] = "page migrated"
		u["inflate"] = "page inflated"; u["deflate"] = "page deflated"
		printf "guest CPU ns per unit of work, medians over %d boots of each kernel\n", boots
		printf "%-8s %-15s %5s %24s %24s %9s %24s %8s\n", "phase", "unit", "runs", "stock ns (min-max)", "tponly ns (min-max)", "cost", "patched ns (min-max)", "stock/patched"
		split("write compact migrate inflate deflate", P, " ")
		for (p = 1; p <= 5; p++) {
			s = P[p] "|stock"; q = P[p] "|tponly"; a = P[p] "|patched"
			if (!n[s] || !n[q]) { printf "%-8s SKIP: no measurement on %s\n", P[p], n[s] ? "tponly" : "stock"; continue }
			printf "%-8s %-15s %5d %9.0f (%6.0f-%6.0f) %9.0f (%6.0f-%6.0f) %+8.2f%%", P[p], u[P[p]], n[q], med[s], lo[s], hi[s], med[q], lo[q], hi[q], 100 * (med[q] / med[s] - 1)
			if (n[a]) printf " %9.0f (%6.0f-%6.0f) %7.2fx", med[a], lo[a], hi[a], med[s] / med[a]
			printf "\n"
		}
		printf "\nper boot: median ns per unit (runs)\n%-8s %-6s", "phase", "boot"
		printf " %18s %18s %9s %18s\n", "stock", "tponly", "cost", "patched"
		for (p = 1; p <= 5; p++) for (b = 1; b <= boots; b++) {
			s = P[p] "|stock|" b; q = P[p] "|tponly|" b
			if (!n[s] || !n[q]) continue
			a = P[p] "|patched|" b
			printf "%-8s %-6d %12.0f (%3d) %12.0f (%3d) %+8.2f%%", P[p], b, med[s], n[s], med[q], n[q], 100 * (med[q] / med[s] - 1)
			if (n[a]) printf " %12.0f (%3d)", med[a], n[a]
			printf "\n"
		}
	}' "$out/zs-balloon-cost.stats" | tee "$out/zs-balloon-cost.txt"
[ "$nounits" = 0 ] || echo "($nounits measurements did no work, units=0, and are not in the table: $zb_log)" |
	tee -a "$out/zs-balloon-cost.txt"
log "zsmalloc/balloon paths, events off (tracepoint patches only) vs stock, guest CPU time under -icount (goal: cost <= 0.5%); table in $out/zs-balloon-cost.txt"
fi

if want balloon; then
# Balloon speed (issue 14): wall time of an inflate by BALLOON_MIB (default
# 7 GiB) of a BALLOON_MEM (8G) guest and of the deflate back, driven over
# QMP by tests/bench/balloon-speed-host.sh (balloonctl --poll 5), ROUNDS rounds in one boot per
# configuration: stock kernel + stock QEMU, patched kernel + stock QEMU,
# patched kernel + the QEMU companion (build/qemu, `make qemu`) when it is
# built.  Plain TCG, wall clock: the host's madvise work is part of it.
# The guest checks its own counters afterwards (balloon-speed.sh).
# Writes build/bench/balloon.{log,txt,json}; the ratios are stock / config,
# of the medians.
bl_log=$out/balloon.log bl_mem=${BALLOON_MEM:-8G} bl_mib=${BALLOON_MIB:-7168}
: >"$bl_log"
configs=$(balloon_configs)
companion=$(qemu_companion)
for cfg in $configs; do
	k=${cfg%_qemu}
	[ -f "$(kernel_src $k)/obj/arch/x86/boot/bzImage" ] || die "build the $k kernel first"
	sock=$BUILD/vm/qmp-bench-balloon.sock vmlog=$out/balloon-$cfg.vmlog
	done_file=$out/balloon-$cfg.done
	rm -f "$sock" "$done_file"
	: >"$vmlog"
	bash "$TOP/tests/bench/balloon-speed-host.sh" "$sock" "$vmlog" "$cfg" "$rounds" \
		"$bl_mib" "$done_file" >>"$bl_log" &
	host=$!
	log "$cfg: inflate by $bl_mib MiB of $bl_mem and deflate, $rounds rounds"
	qemu=
	[ "$cfg" = patched_qemu ] && qemu=$companion
	PAGEMOVE_VM_QEMU=$qemu PAGEMOVE_OUT=$out bash "$TOP/ci/vm.sh" -k "$k" -m "$bl_mem" -c 2 -t 3600 -q "$sock" -- \
		bash "$TOP/tests/bench/balloon-speed.sh" "$rounds" "$bl_mib" "$done_file" >"$vmlog" 2>&1 ||
		log "$cfg: the VM run failed (exit $?), see $vmlog"
	wait "$host" || log "$cfg: the QMP driver failed (see $vmlog)"
	grep '^bench-balloon-check ' "$vmlog" | sed "s/^/$cfg: /" >>"$bl_log"
	grep "^bench-balloon config=$cfg " "$bl_log" || true
done
grep -q ' bad ' "$bl_log" && log "a guest's counters disagree with the host's requests (see $bl_log)"
awk '/^bench-balloon config=/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		print f["op"] "|" f["config"], f["ms"]
	}' "$bl_log" | "$PMSTAT" >"$out/balloon.stats" || die "pmstat failed"
python3 - "$out/balloon.stats" "$out/balloon.json" "$bl_mem" "$bl_mib" "$rounds" <<'PY' | tee "$out/balloon.txt"
import json, sys
stats, path, mem, mib, rounds = sys.argv[1:]
med = {}
print(f"{'op':8} {'config':13} {'runs':>4} {'median ms':>10} {'min-max ms':>21} {'stock/config':>12}")
rows = []
for line in open(stats):
    key, n, m, lo, hi = line.split()
    op, cfg = key.split('|')
    med[(op, cfg)] = float(m)
    rows.append((op, cfg, int(n), float(m), float(lo), float(hi)))
out = {'guest_mem': mem, 'balloon_mib': int(mib), 'rounds': int(rounds),
       'configs': {}, 'ratio': {}}
order = {'stock': 0, 'patched': 1, 'patched_qemu': 2}
for op, cfg, n, m, lo, hi in sorted(rows, key=lambda r: (r[0] != 'inflate', order.get(r[1], 9))):
    base = med.get((op, 'stock'))
    ratio = base / m if base and m else None
    print(f"{op:8} {cfg:13} {n:4d} {m:10.1f} {lo:10.1f}-{hi:<10.1f} "
          f"{(f'{ratio:11.2f}x' if ratio else '           -')}")
    out['configs'].setdefault(cfg, {})[op] = {'runs': n, 'median_ms': m, 'min_ms': lo, 'max_ms': hi}
    if cfg != 'stock' and ratio:
        out['ratio'][f'{op}_{cfg}'] = round(ratio, 3)
json.dump(out, open(path, 'w'), indent=1, sort_keys=True)
PY
log "balloon inflate/deflate wall time (goal: inflate >= 2.5x with the guest patches alone); $out/balloon.json"
fi

if want analysis; then
# pagemove report speed against perf script and perf report --stdio
# (tests/bench/report-speed.sh: on the host, side by side, ROUNDS rounds).
make -C "$TOP" --no-print-directory analysis build/bench/mklog >/dev/null
bash "$TOP/tests/bench/report-speed.sh" "$rounds" "$out" "$BUILD/bin/pagemove" "$BUILD/bench/mklog" ||
	die "report speed failed"
fi

if want size; then
# Size of the series' tracepoints, from the two kernels built above: per
# patch, per event class, per event and at the call sites.
/usr/bin/python3 "$TOP/tests/bench/bloat.py" -o "$out/bloat.json" "$STOCK_SRC" "$PATCHED_SRC" |
	tee "$out/bloat.txt"
log "tracepoint sizes in $out/bloat.txt"
fi
