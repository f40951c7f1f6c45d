#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Guest side, both kernels: zsmigrate against a zram workload that makes
# zsmalloc migrate pages, every number compared with something zsmigrate
# did not compute:
#  - outcomes (isolated, migrated, busy, freed while isolated, putback) and
#    objects moved against tpcheck, a separate BPF program with its own
#    fentry/fexit counts of zs_page_isolate/zs_page_migrate/zs_page_putback,
#    their return values and a walk of the new pages; on the patched kernel
#    objects moved also against the series event's nr_objs (tpcheck);
#  - the hooks: tp_btf on patched, fentry on stock;
#  - a clean kernel: 0 race reports, and every check the kernel supports ran
#    (0 runs is a FAIL, not a pass); the unsupported ones say why;
#  - the event log read back by pagemove report: one zs_migration record per
#    migration, results as counted, no race record.
# The workload: a fresh zram device filled with pages of many sizes (many
# size classes), every other page then zeroed (frees), compacted through its
# compact file, and the ZONE_MOVABLE blocks offlined while a reader keeps
# decompressing (busy migrations), then half the pages rewritten
# (allocations in the zspages just migrated).  H2's zsstress replaces it where present.
#
# ZSMIGRATE=path runs another build (tests/vm/zsmigrate-plant.sh: variants
# with a planted bug, which must make this test fail); ZSM_HOOK=fentry|kprobe
# forces a hook mode (the checks a mode cannot run must then say so).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=${PAGEMOVE_TOP:?}
out=${PAGEMOVE_OUT:?}/zsmigrate-${PAGEMOVE_KERNEL:?}${ZSM_TAG:+-$ZSM_TAG}
failed=0
. "$here/lib.sh"
B=$top/build/bin
Z=${ZSMIGRATE:-$B/zsmigrate}
mkdir -p "$out"
rm -f "$out"/*
cd /tmp || exit 1

# 1. ZONE_MOVABLE blocks, where zram's movable allocations go first.
M=/sys/devices/system/memory
movable=()
for b in $(ls -d $M/memory[0-9]* | sort -V | tail -n 6); do
	if [ "$(cat "$b/valid_zones" 2>/dev/null)" = Movable ] ||
	   { echo offline >"$b/state" 2>/dev/null && echo online_movable >"$b/state"; }; then
		movable+=("$b")
	fi
done
if [ ${#movable[@]} -gt 0 ]; then
	pass "zsmigrate: ${#movable[@]} ZONE_MOVABLE blocks to offline"
else
	fail "zsmigrate: ZONE_MOVABLE blocks" "no block could be offlined"
fi

# The workload, run once zsmigrate and tpcheck are attached.
cat >"$out/work.sh" <<'EOF'
#!/bin/bash
set -u
n=$(cat /sys/class/zram-control/hot_add) || exit 1
dev=/dev/zram$n
echo "work: zram$n" >&2
command -v udevadm >/dev/null && udevadm settle --timeout=5 2>/dev/null
echo 32M >/sys/block/zram$n/disksize || exit 1
# Room in ZONE_MOVABLE (earlier tests leave page cache there): zsmalloc's
# movable allocations go there first, and offlining it migrates them.
echo 3 >/proc/sys/vm/drop_caches
grep -E "^Node 0, zone +Movable" -A2 /proc/zoneinfo | sed -n 's/^ *pages free */work: movable free pages /p' >&2
python3 - "$dev" <<'PY' || exit 1
import mmap, os, random, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_DIRECT)
buf, zero = mmap.mmap(-1, 4096), mmap.mmap(-1, 4096)
rnd = random.Random(7)
n = 4096
for i in range(n):
    k = 64 + (i * 37) % 3000          # incompressible prefix: many size classes
    buf.seek(0)
    buf.write(rnd.randbytes(k) + bytes(4096 - k))
    os.pwrite(fd, buf, i * 4096)
for i in range(0, n, 2):
    os.pwrite(fd, zero, i * 4096)     # zero pages are not kept: zs_free
os.close(fd)
PY
echo 1 >/sys/block/zram$n/compact
rm -f /tmp/zsm-reader.ok
python3 - "$dev" <<'PY' &
import mmap, os, signal, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
reads = 0
def done(sig, frame):
    print("work: reader: %d reads" % reads, file=sys.stderr)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
while True:
    for i in range(1, 4096, 2):
        os.preadv(fd, [buf], i * 4096)
        reads += 1
        if reads == 1:
            open("/tmp/zsm-reader.ok", "w").close()
            print("work: reader started", file=sys.stderr)
PY
reader=$!
# Under TCG on a loaded host python takes seconds to start: offline only
# once it reads.
for _ in $(seq 600); do
	[ -e /tmp/zsm-reader.ok ] && break
	kill -0 $reader 2>/dev/null || break
	sleep 0.1
done
[ -e /tmp/zsm-reader.ok ] || echo "work: the reader did not start" >&2
for b in $MOVABLE; do
	echo offline >"$b/state" || echo "work: offline $b refused" >&2
	echo online_movable >"$b/state" || echo "work: online $b refused" >&2
done
kill $reader
wait $reader 2>/dev/null
# Then allocations into the zspages just migrated (freeobj_walk, lost_write),
# after the migrations: tpcheck's walk of the new pages must see what the
# old ones held.
python3 - "$dev" <<'PY'
import mmap, os, random, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_DIRECT)
buf = mmap.mmap(-1, 4096)
rnd = random.Random(8)
for i in range(0, 4096, 2):           # the zeroed pages: zs_malloc, zs_obj_write
    k = 64 + (i * 53) % 3000
    buf.seek(0)
    buf.write(rnd.randbytes(k) + bytes(4096 - k))
    os.pwrite(fd, buf, i * 4096)
PY
echo "work: mm_stat $(cat /sys/block/zram$n/mm_stat)" >&2
echo 1 >/sys/block/zram$n/reset
echo $n >/sys/class/zram-control/hot_remove
exit 0
EOF

# 2. tpcheck (independent counts), then zsmigrate, then the workload.
if ! start_tpcheck zsm-tpcheck; then
	fail "zsmigrate: tpcheck attached" "$(tail -n 5 "$out/zsm-tpcheck.log")"
	exit $failed
fi
"$Z" ${ZSM_HOOK:+-H $ZSM_HOOK} -w "$out/zs.log" >"$out/zs.txt" 2>"$out/zs.err" &
zs=$!
for _ in $(seq 600); do
	grep -q '^zsmigrate: ready' "$out/zs.err" && break
	kill -0 $zs 2>/dev/null || break
	sleep 0.5
done
if ! grep -q '^zsmigrate: ready' "$out/zs.err"; then
	fail "zsmigrate: ready" "$(tail -n 5 "$out/zs.err")"
	kill -INT $tp; wait $tp
	exit $failed
fi
pass "zsmigrate: $(grep '^zsmigrate: ready' "$out/zs.err")"
MOVABLE="${movable[*]}" timeout 600 bash "$out/work.sh" 2>"$out/work.log"
check_eq "zsmigrate: the workload ran" "$?" 0
kill -INT $zs
wait $zs
check_eq "zsmigrate: exit 0 at SIGINT" "$?" 0
kill -INT $tp
wait $tp
declare -A c
while read -r k v; do c[$k]=$v; done <"$out/zsm-tpcheck.txt"
sed 's/^/  /' "$out/zs.txt"
grep -v '^zsmigrate: ready' "$out/zs.err" | head -n 5 | sed 's/^/  stderr: /'
sed 's/^/  /' "$out/work.log"

# 3. The summary against tpcheck.
line=$(grep '^migrations: ' "$out/zs.txt")
# mig FIELD: a number from the "migrations:" line
mig() { awk -v f="$1" '{ for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' <<<"$line"; }
want_hooks=fentry
[ "$PAGEMOVE_KERNEL" = patched ] && want_hooks=tp_btf
want_hooks=${ZSM_HOOK:-$want_hooks}
# not_checked NAME: may this check say "not checked" in this mode?
not_checked() {
	case $want_hooks:$1 in
	fentry:objs_moved|kprobe:objs_moved|kprobe:stale_mapping|kprobe:moved_under_reader|\
	kprobe:header_backptr|kprobe:lost_write|kprobe:freeobj_walk) return 0 ;;
	esac
	return 1
}
check_eq "zsmigrate: hooks" "$(sed -n 's/^zsmigrate on .*, hooks: //p' "$out/zs.txt")" "$want_hooks"
check_gt0 "zsmigrate: pages migrated (the workload must migrate)" "$(mig migrated)"
check_eq "zsmigrate: isolated = zs_page_isolate() returning true (tpcheck fexit)" \
	"$(mig isolated)" "${c[fx_zs_page_isolate_ok]}"
check_eq "zsmigrate: migrated = zs_page_migrate() returning 0 with a zspage (tpcheck)" \
	"$(mig migrated)" "$(( c[fx_zs_page_migrate_ok] - c[fn_zs_page_migrate_no_zspage] ))"
check_eq "zsmigrate: busy = zs_page_migrate() returning -EBUSY (tpcheck fexit)" \
	"$(mig busy)" "${c[fx_zs_page_migrate_busy]}"
check_eq "zsmigrate: freed_isolated = zs_page_migrate() without a zspage (tpcheck fentry)" \
	"$(mig freed_isolated)" "${c[fn_zs_page_migrate_no_zspage]}"
check_eq "zsmigrate: putback = zs_page_putback() calls (tpcheck fentry)" \
	"$(mig putback)" "${c[fn_zs_page_putback]}"
check_gt0 "zsmigrate: objects moved" "$(mig objs_moved)"
check_eq "zsmigrate: objs_moved = allocated slots on the new pages (tpcheck fexit walk)" \
	"$(mig objs_moved)" "${c[fx_zs_page_migrate_objs]}"
if [ "$PAGEMOVE_KERNEL" = patched ]; then
	check_eq "zsmigrate: objs_moved = zs_migrate_end nr_objs (tpcheck, the series event)" \
		"$(mig objs_moved)" "${c[tp_zs_migrate_objs]}"
fi
# Compaction: pages freed against the device's own mm_stat (pages_compacted).
comp=$(grep '^compaction: ' "$out/zs.txt")
compacted=$(awk '/^work: mm_stat/ { print $9 }' "$out/work.log")
if [ "$want_hooks" != kprobe ]; then
	check_eq "zsmigrate: compaction pages_freed = the zram device's mm_stat pages_compacted" \
		"$(awk '{ print $5 }' <<<"${comp%%;*}")" "${compacted:-missing}"
fi
if [ "$want_hooks" = tp_btf ]; then
	check_eq "zsmigrate: zs_compact_class pages = pages freed by zs_compact()/the shrinker" \
		"$(sed -n 's/.*objs_moved [0-9]*, pages_freed \([0-9]*\)$/\1/p' <<<"$comp")" \
		"$(awk '{ print $5 }' <<<"${comp%%;*}")"
fi
check_eq "zsmigrate: race reports on a clean kernel" \
	"$(sed -n 's/^race reports: //p' "$out/zs.txt")" 0
check_eq "zsmigrate: no race: line" "$(grep -c '^race:' "$out/zs.txt")" 0
check_eq "zsmigrate: no lost events, no obj decoding mismatch" \
	"$(grep -c '^WARNING' "$out/zs.txt")" 0
nchecks=0
while read -r _ name rest; do
	name=${name%:}
	nchecks=$((nchecks + 1))
	case $rest in
	"not checked on this kernel ("*")")
		if not_checked "$name"; then
			pass "zsmigrate: check $name not checked with $want_hooks hooks, says why"
		else
			fail "zsmigrate: check $name" "$rest"
		fi ;;
	runs\ *)
		read -r _ runs _ viol <<<"$rest"
		check_gt0 "zsmigrate: check $name ran" "$runs"
		check_eq "zsmigrate: check $name violations on a clean kernel" "$viol" 0 ;;
	*) fail "zsmigrate: check $name line" "$rest" ;;
	esac
done < <(grep '^check ' "$out/zs.txt")
check_eq "zsmigrate: one line per check" "$nchecks" 9

# 4. The log read back.
if "$B/pagemove" report --json "$out/zs.log" >"$out/report.json" 2>"$out/report.err"; then
	got=$(python3 - "$out/report.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
k = {x["name"]: x for x in j["kinds"]}
m = k.get("zs_migration")
res = {v["label"]: v["count"] for v in m["fields"][1]["values"]} if m else {}
c = {x["name"]: x["value"] for x in j["counters"]}
print(res.get("success", 0), res.get("busy", 0), res.get("freed", 0),
      k["zs_race"]["count"] if "zs_race" in k else 0, j["lost_events"], c.get("race.reports"))
PY
)
	check_eq "pagemove report: zs_migration success/busy/freed, zs_race records, lost, race.reports" \
		"$got" "$(mig migrated) $(mig busy) $(mig freed_isolated) 0 0 0"
else
	fail "pagemove report on the zsmigrate log" "$(cat "$out/report.err")"
fi

# 5. --json: the contract's keys, one object.
if "$Z" ${ZSM_HOOK:+-H $ZSM_HOOK} --json -- true >"$out/zs.json" 2>"$out/zs-json.err"; then
	check_eq "zsmigrate --json: keys" "$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
m = j["migrations"]
print(sorted(k for k in ("isolated", "migrated", "busy", "freed_isolated", "putback", "objs_moved") if k in m),
      len(j["checks"]), all({"name", "supported", "runs", "violations"} <= set(x) for x in j["checks"]),
      type(j["race_reports"]).__name__, type(j["lost_events"]).__name__, j["hooks"])' "$out/zs.json")" \
		"['busy', 'freed_isolated', 'isolated', 'migrated', 'objs_moved', 'putback'] 9 True int int $want_hooks"
else
	fail "zsmigrate --json -- true" "$(tail -n 3 "$out/zs-json.err")"
fi
echo "zsmigrate: $failed failed"
exit $failed
