#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Tests of the pipeline itself: each plants a failure (a corrupt download, a
# patch that does not apply, a config option that does not exist, a broken
# hmm-tests result) and checks that the step fails and names it.  Prints a
# PASS:/FAIL: line per test and "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap "rm -rf \"$tmp\"" EXIT
passed=0 failed=0

# expect NAME WANT_RC PATTERN -- CMD...: CMD exits WANT_RC ("nonzero" for any
# failure) and its output matches PATTERN.
expect() {
	local name=$1 want=$2 pat=$3 out rc; shift 4
	out=$("$@" 2>&1)
	rc=$?
	if { [ "$want" = nonzero ] && [ $rc != 0 ] || [ "$rc" = "$want" ]; } &&
	   grep -qE -- "$pat" <<<"$out"; then
		echo "PASS: $name"; passed=$((passed + 1))
	else
		echo "FAIL: $name: exit $rc, want $want and /$pat/; output:"
		sed 's/^/    /' <<<"$out" | tail -n 15
		failed=$((failed + 1))
	fi
}

# --- downloads: a corrupt copy of the pinned package is refused and removed
. "$TOP/ci/lib.sh"
set +e
mkdir -p "$tmp/shared/kernel" "$tmp/cache"
echo "not a kernel" >"$tmp/shared/kernel/$KPKG_DEB"
expect "tree: SHA256 mismatch of the pinned package is fatal" nonzero \
	"SHA256 mismatch for $KPKG_DEB" -- \
	env PAGEMOVE_SHARED="$tmp/shared" PAGEMOVE_CACHE="$tmp/cache" bash -c \
	". '$TOP/ci/lib.sh'; fetch_deb $KPKG $KPKG_VERSION $KPKG_DEB $KPKG_SHA256"
expect "tree: the corrupt download is not kept" 0 "^gone$" -- \
	bash -c "[ ! -e '$tmp/cache/downloads/$KPKG_DEB' ] && echo gone"

# --- series: a small stand-in base repository and patches made against it
base=$tmp/base
mkdir -p "$base" "$tmp/patches"
git -C "$base" init -q -b base
printf 'one\ntwo\nthree\n' >"$base/file"
git -C "$base" add file
git -C "$base" -c user.name=t -c user.email=t@t commit -q -m base
git -C "$base" tag pagemove-base
echo "commit=$(git -C "$base" rev-parse HEAD)" >"$tmp/patches/BASE"
git -C "$base" checkout -q -b work
sed -i 's/two/TWO/' "$base/file"
git -C "$base" -c user.name=t -c user.email=t@t commit -q -am "file: shout two"
sed -i 's/three/THREE/' "$base/file"
git -C "$base" -c user.name=t -c user.email=t@t commit -q -am "file: shout three"
git -C "$base" format-patch -q --cover-letter -o "$tmp/patches" pagemove-base
git -C "$base" checkout -q --detach pagemove-base
series() {
	env PAGEMOVE_STOCK_SRC="$base" PAGEMOVE_PATCHED_SRC="$tmp/applied" \
		PAGEMOVE_PATCHES="$tmp/patches" bash "$TOP/ci/series.sh" "$@"
}
expect "series: good patches apply, cover letter skipped" 0 "at [0-9a-f]+: 2 patches" -- series
expect "series: the applied tree has both changes" 0 "^one TWO THREE$" -- \
	bash -c "tr '\n' ' ' <'$tmp/applied/file' | sed 's/ \$//'"
expect "series: a prefix applies only its patches" 0 ": 1 patches" -- series 1
expect "series: unchanged series is not reapplied" 0 "already applied" -- series 1
# A third patch whose context is not in the base.
sed -e 's/Subject: \[PATCH 2\/2\] file: shout three/Subject: [PATCH 3\/3] file: bogus/' \
	-e 's/^ two$/ zwei/' "$tmp/patches/0002-file-shout-three.patch" \
	>"$tmp/patches/0003-file-bogus.patch"
expect "series: a patch that does not apply fails, named" nonzero \
	"does not apply to the base: 0003 file: bogus" -- series
expect "series: a failed git am leaves no am in progress" 0 "^clean$" -- \
	bash -c "[ ! -d \"\$(git -C '$tmp/applied' rev-parse --git-path rebase-apply)\" ] && echo clean"

# --- checkpatch: a run that did not happen is no pass (stub checkpatch.pl)
cpk() {	# cpk 'PERL BODY': checkpatch.sh against a stub printing that
	mkdir -p "$tmp/cp/scripts"
	printf '%s\n' "$1" >"$tmp/cp/scripts/checkpatch.pl"
	env PAGEMOVE_PATCHED_SRC="$tmp/cp" PAGEMOVE_PATCHES="$tmp/patches" \
		bash "$TOP/ci/checkpatch.sh"
}
expect "checkpatch: a missing checkpatch.pl fails" nonzero "no .*/scripts/checkpatch.pl" -- \
	env PAGEMOVE_PATCHED_SRC="$tmp/nowhere" PAGEMOVE_PATCHES="$tmp/patches" \
	bash "$TOP/ci/checkpatch.sh"
expect "checkpatch: a run without its total: line fails" nonzero "no 'total:' line" -- \
	cpk 'exit 0;'
expect "checkpatch: a WARNING fails" nonzero "^WARNING: long line" -- \
	cpk 'print "WARNING: long line\ntotal: 0 errors, 1 warnings, 0 checks, 9 lines checked\n"; exit 1;'
expect "checkpatch: a CHECK not quoted in the commit message fails" nonzero \
	"CHECK not justified in the commit message: Alignment" -- \
	cpk 'print "CHECK: Alignment should match open parenthesis\ntotal: 0 errors, 0 warnings, 1 checks, 9 lines checked\n"; exit 1;'
expect "checkpatch: clean patches pass, a total: line each" 0 \
	"0003-file-bogus.patch: total: 0 errors" -- \
	cpk 'print "total: 0 errors, 0 warnings, 0 checks, 9 lines checked\n"; exit 0;'
mkdir -p "$tmp/nopatches"
cp "$tmp/patches/BASE" "$tmp/nopatches/"
expect "checkpatch: no patches at all fails" nonzero "no patches in" -- \
	env PAGEMOVE_PATCHED_SRC="$tmp/cp" PAGEMOVE_PATCHES="$tmp/nopatches" \
	bash "$TOP/ci/checkpatch.sh"
expect "series-builds: no patches at all fails" nonzero "no patches in .*nothing to build" -- \
	env PAGEMOVE_STOCK_SRC="$base" PAGEMOVE_PATCHED_SRC="$tmp/applied" \
	PAGEMOVE_PATCHES="$tmp/nopatches" bash "$TOP/ci/series-builds.sh"

# --- config: an option that does not exist in 7.3 (the pre-7.3 balloon name)
if [ -f "$STOCK_SRC/Makefile" ]; then
	mkdir -p "$tmp/kconfig"
	cp "$TOP"/kconfig/*.config "$tmp/kconfig/"
	echo "CONFIG_MEMORY_BALLOON=y" >>"$tmp/kconfig/balloon.config"
	expect "config: an option dropped by olddefconfig is fatal, named" nonzero \
		"balloon.config: asked for 'CONFIG_MEMORY_BALLOON=y', got 'absent'" -- \
		env PAGEMOVE_KCONFIG="$tmp/kconfig" PAGEMOVE_OBJ="$tmp/obj" \
		bash "$TOP/ci/config.sh" stock
else
	echo "FAIL: config: planted dropped option: no base tree (run 'make tree')"
	failed=$((failed + 1))
fi

# --- vm: refuses what it cannot boot
expect "vm: unknown KERNEL is refused" nonzero "KERNEL must be 'stock' or 'patched'" -- \
	bash "$TOP/ci/vm.sh" -k fancy -- true
expect "vm: a missing kernel image is named" nonzero "no kernel at .*bzImage" -- \
	env PAGEMOVE_PATCHED_SRC="$tmp/nowhere" bash "$TOP/ci/vm.sh" -- true

# --- hmm-compare: the stock/patched comparison catches a regression
tap() {	# tap FILE "ok|not ok NAME"...
	local f=$1 i=0; shift
	{ echo "TAP version 13"; for l in "$@"; do i=$((i + 1)); echo "${l/ok /ok $i }"; done
	  echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:0 error:0"; } >"$f"
}
tap "$tmp/stock.tap" "ok hmm.a" "ok hmm.b" "ok hmm.c # SKIP no device" "not ok hmm.d"
tap "$tmp/same.tap" "ok hmm.a" "ok hmm.b" "ok hmm.c" "ok hmm.d"
tap "$tmp/regr.tap" "ok hmm.a" "not ok hmm.b" "ok hmm.c" "ok hmm.d"
expect "hmm-compare: patched passing a superset passes" 0 \
	"stock: +2 passed.*" -- bash "$TOP/tests/hmm-compare.sh" "$tmp/stock.tap" "$tmp/same.tap"
expect "hmm-compare: a test lost on patched fails, named" 1 "^  hmm.b$" -- \
	bash "$TOP/tests/hmm-compare.sh" "$tmp/stock.tap" "$tmp/regr.tap"
head -n 3 "$tmp/stock.tap" >"$tmp/cut.tap"
expect "hmm-compare: a suite that died (no Totals) fails" 1 "no Totals line" -- \
	bash "$TOP/tests/hmm-compare.sh" "$tmp/cut.tap" "$tmp/same.tap"
tap "$tmp/none.tap" "not ok hmm.a" "ok hmm.c # SKIP no device"
expect "hmm-compare: no stock pass at all is an error" 1 "no test passed on stock" -- \
	bash "$TOP/tests/hmm-compare.sh" "$tmp/none.tap" "$tmp/same.tap"

# --- splat-scan: the debug kernel's log scanner (ci/check-debug.sh)
cat >"$tmp/clean.log" <<'LOG'
[    0.000000] Linux version 7.3.0-rc7-pagemove-debug
[    0.120000] kasan: KernelAddressSanitizer initialized (generic)
[    1.000000] zram0: detected capacity change from 0 to 262144
LOG
cat >"$tmp/kasan.log" <<'LOG'
[   41.000001] ==================================================================
[   41.000002] BUG: KASAN: slab-use-after-free in __zs_compact+0x5e1/0x6b0
[   41.000003] Read of size 4 at addr ffff888006a1b2c0 by task bash/201
[   41.000004] Call Trace:
[   41.000005]  <TASK>
LOG
cat "$tmp/kasan.log" >"$tmp/kasan2.log"
cat >"$tmp/lockdep.log" <<'LOG'
[   12.5] ======================================================
[   12.5] WARNING: possible circular locking dependency detected
[   12.5] 7.3.0-rc7-pagemove-debug #1 Not tainted $(touch /tmp/pagemove-splat-pwned) `id`
LOG
printf 'console noise\nPASS: not a kernel line: WARNING: BUG:\n' >"$tmp/console.log"
expect "splat-scan: a clean log passes, kasan's banner is no splat" 0 "^PASS: t: 0 splats in 3 kernel" -- \
	bash "$TOP/ci/splat-scan.sh" t "$tmp/clean.log" "$tmp/console.log"
expect "splat-scan: a KASAN report fails, shown" 1 "FAIL: t: splat: BUG: KASAN: slab-use-after-free" -- \
	bash "$TOP/ci/splat-scan.sh" t "$tmp/clean.log" "$tmp/kasan.log"
expect "splat-scan: the same splat in two logs counts once" 1 "^t: 1 splats" -- \
	bash "$TOP/ci/splat-scan.sh" t "$tmp/kasan.log" "$tmp/kasan2.log"
expect "splat-scan: lockdep fails; the log's text is never run" 1 "circular locking" -- \
	bash "$TOP/ci/splat-scan.sh" t "$tmp/lockdep.log"
expect "splat-scan: ... and nothing ran" 0 "^safe$" -- \
	bash -c "[ ! -e /tmp/pagemove-splat-pwned ] && echo safe"
expect "splat-scan: no kernel log at all is a failure" 1 "no kernel log line" -- \
	bash "$TOP/ci/splat-scan.sh" t "$tmp/console.log" "$tmp/missing.log"
# What a real run printed: a refused offline's page dump, 16 lines before a
# WARN_ON: the dump is no splat, the WARN is one, shown from "cut here".
cat >"$tmp/offline-warn.log" <<'LOG'
[  201.434835] page dumped because: unmovable page
[  201.474902] Policy zone: DMA32
[  217.967693] ------------[ cut here ]------------
[  217.967693] pagemove: planted warning, 1618 pages freed
[  217.967693] WARNING: mm/zsmalloc.c:2161 at zs_compact+0xadb/0xaf0, CPU#0: bash/199
[  217.967693] Call Trace:
LOG
expect "splat-scan: a refused offline's page dump is counted apart, the WARN after it fails" 1 \
	"not counted as splats: 1 lines 'page dumped because: unmovable page'.*FAIL: t: splat: WARNING: mm/zsmalloc.c.*cut here.*planted warning.*t: 1 splats" -- \
	bash -c "bash '$TOP/ci/splat-scan.sh' t '$tmp/offline-warn.log' | tr '\\n' ' '; exit \${PIPESTATUS[0]}"
printf '[    3.0] page dumped because: VM_BUG_ON_PAGE(PageTail(page))\n' >"$tmp/vmbug.log"
expect "splat-scan: any other page dump is a splat" 1 "FAIL: t: splat: page dumped because: VM_BUG_ON" -- \
	bash "$TOP/ci/splat-scan.sh" t "$tmp/vmbug.log"

# What the debug run printed on 2026-12-04: memory offlining retrying a
# file page in use, then the squeeze's OOM report.  Neither is a splat; a
# zsmalloc page that does not migrate, a dump without the offline's line
# before it, and a WARNING after the OOM report are.
cat >"$tmp/migfail.log" <<'LOG'
[  286.908199] migrating pfn 587e9 failed ret:1
[  286.908340] page: refcount:3 mapcount:1 mapping:000000006d6a7ab3 index:0x62b pfn:0x587e9
[  286.912057] aops:v9fs_addr_operations ino:79147 dentry name(?):"python3.11"
[  286.912458] flags: 0x180000000000008(uptodate|node=0|zone=3)
[  286.912591] page dumped because: migration failure
[  327.031320] awk invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0
[  327.031400] CPU: 1 UID: 0 PID: 565 Comm: awk Not tainted 7.3.0-rc7-pagemove-debug #2 PREEMPT(lazy)
[  327.031401] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[  327.031402] Call Trace:
[  327.031403]  <TASK>
[  327.031404]  dump_stack_lvl+0x80/0xa0
LOG
expect "splat-scan: an offline's migration retry and an OOM report are counted apart, not splats" 0 \
	"1 lines 'page dumped because: migration failure'.*1 OOM-killer reports' stacks.*PASS: t: 0 splats" -- \
	bash -c "bash '$TOP/ci/splat-scan.sh' t '$tmp/migfail.log' | tr '\\n' ' '; exit \${PIPESTATUS[0]}"
sed 's/^\(\[  286.912458\]\) flags: .*/\1 page_type: f6(zsmalloc)/' "$tmp/migfail.log" >"$tmp/migfail-zs.log"
expect "splat-scan: a zsmalloc page that offlining cannot migrate is a splat" 1 \
	"FAIL: t: splat: page dumped because: migration failure" -- bash "$TOP/ci/splat-scan.sh" t "$tmp/migfail-zs.log"
grep -v 'migrating pfn' "$tmp/migfail.log" >"$tmp/migfail-bare.log"
expect "splat-scan: a migration failure dump without the offline's line is a splat" 1 \
	"FAIL: t: splat: page dumped because: migration failure" -- bash "$TOP/ci/splat-scan.sh" t "$tmp/migfail-bare.log"
{ cat "$tmp/migfail.log"; echo '[  327.5] WARNING: mm/balloon.c:99 at balloon_page_list_dequeue+0x1/0x2, CPU#0: kworker/0:1/12'; } >"$tmp/oomwarn.log"
expect "splat-scan: a WARNING after an OOM report is a splat" 1 \
	"FAIL: t: splat: WARNING: mm/balloon.c" -- bash "$TOP/ci/splat-scan.sh" t "$tmp/oomwarn.log"

# --- disk: the free-space check before the builds, against a df that
# reports 3 GiB free; an empty checkout needs three trees' worth.
mkdir -p "$tmp/fakedf" "$tmp/empty"
cat >"$tmp/fakedf/df" <<'DF'
#!/bin/sh
echo "Filesystem 1024-blocks Used Available Capacity Mounted on"
echo "/dev/fake 268435456 265289728 3145728 99% /fake"
DF
chmod +x "$tmp/fakedf/df"
disk() {
	env PAGEMOVE_STOCK_SRC="$tmp/empty/s" PAGEMOVE_PATCHED_SRC="$tmp/empty/p" \
		PAGEMOVE_ZSRACE_SRC="$tmp/empty/z" PAGEMOVE_CACHE="$tmp/empty/c" "$@"
}
expect "disk: an empty checkout needs at least 15 GiB (three trees, their builds, ccache)" 0 \
	'^(1[5-9]|[2-9][0-9])$' -- disk bash "$TOP/ci/disk.sh" --need
expect "disk: 3 GiB free fails before any build, naming what is missing" 1 \
	"to make: 2.8 GiB stock build.*3 GiB free under .*needs about [0-9]+ GiB" -- \
	bash -c "$(declare -f disk); tmp='$tmp'; disk env PATH='$tmp/fakedf:$PATH' bash '$TOP/ci/disk.sh' 2>&1 | tr '\\n' ' '; exit \${PIPESTATUS[0]}"

echo "$passed passed, $failed failed"
[ $failed = 0 ]
