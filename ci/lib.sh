# SPDX-License-Identifier: GPL-2.0
# Shared settings for the ci/ scripts.  Sourced, never executed.
#
# Layout (everything derived from the checkout, nothing global):
#   $TOP/build/linux-stock      git repo of the pinned base (detached at BASE)
#   $TOP/build/linux-pagemove   worktree of that repo, branch "pagemove": base + patches/
#   <src>/obj                   O= build directory of each tree
#   ~/.cache/pagemove/          downloads, apt lists, ccache (shared by every checkout)

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$TOP/build
CACHE=${PAGEMOVE_CACHE:-$HOME/.cache/pagemove}
SHARED=${PAGEMOVE_SHARED:-$TOP/../shared}

# The pinned base: Debian's packaging of mainline v7.3-rc7.
KPKG=linux-source-7.3
KPKG_VERSION='7.3~rc7-1~exp1'
KPKG_DEB="linux-source-7.3_7.3~rc7-1~exp1_all.deb"
KPKG_SHA256=8bf8ca5ea8b1b307ca698db982ba48d6d223263b4d3dfb1973d055e316c44e75

VNG_DEB="virtme-ng_1.35-1_all.deb"
VNG_SHA256=e7b9d2f28e34766446db5c40b7fdd9a09ed561af21e4aa580a660ff9a0a86f5a

# Fixed identity and date for the base commit: same commit ID on every machine.
BASE_IDENT_NAME="pagemove base"
BASE_IDENT_EMAIL="base@pagemove.invalid"
BASE_DATE="2026-11-16T00:00:00Z"

# Overridable for ci's own tests (tests/ci), which plant failures in copies.
STOCK_SRC=${PAGEMOVE_STOCK_SRC:-$BUILD/linux-stock}
PATCHED_SRC=${PAGEMOVE_PATCHED_SRC:-$BUILD/linux-pagemove}
PATCHES=${PAGEMOVE_PATCHES:-$TOP/patches}
KCONFIG=${PAGEMOVE_KCONFIG:-$TOP/kconfig}
# A second checkout developing the series next to this one needs its own
# branch (git checks a branch out in one worktree only).
SERIES_BRANCH=${PAGEMOVE_SERIES_BRANCH:-pagemove}
# The revision of the series that export-series.sh writes: [PATCH vN m/n].
SERIES_VERSION=2

# The series' patches in order, one path a line (0000, the cover letter, is
# not a patch).
series_patches() {
	find "$PATCHES" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort
}

# KERNEL=stock|patched selects the tree.
kernel_src() {
	case "${1:-patched}" in
	stock) echo "$STOCK_SRC" ;;
	patched) echo "$PATCHED_SRC" ;;
	*) die "KERNEL must be 'stock' or 'patched', not '$1'" ;;
	esac
}

# kmake stock|patched ARGS...: make in that tree's O=obj with the flags every
# build of it uses (ccache; uname -r tells the two kernels apart:
# 7.3.0-rc7 and 7.3.0-rc7-pagemove).  KOBJ=obj-NAME and KARCH=ARCH select
# another build directory of the same tree (ci/variant.sh); it stays inside
# the tree so that Kbuild's paths are relative and ccache serves them all.
kmake() {
	local which=$1 lv=
	shift
	[ "$which" = patched ] && lv=-pagemove
	make -C "$(kernel_src "$which")" O="${KOBJ:-obj}" ${KARCH:+ARCH="$KARCH"} \
		CC="ccache gcc" HOSTCC="ccache gcc" LOCALVERSION="$lv${KLOCALVERSION:-}" \
		KBUILD_BUILD_USER=pagemove KBUILD_BUILD_HOST=pagemove "$@"
}

STEP=${STEP:-pagemove}

# git_am SRC WHAT PATCH...: git am the patches in tree SRC, or abort it and
# die naming the patch that does not apply (to WHAT).
git_am() {
	local src=$1 what=$2 out failed
	shift 2
	if ! out=$(git -C "$src" am --no-3way "$@" 2>&1); then
		echo "$out" >&2
		failed=$(echo "$out" | sed -n 's/^Patch failed at \(.*\)$/\1/p' | head -n1)
		git -C "$src" am --abort >/dev/null 2>&1 || true
		die "patch does not apply to $what: ${failed:-see git am output above}"
	fi
}

log() { printf '[%s] %s\n' "$STEP" "$*" >&2; }
die() { printf '[%s] FAILED: %s\n' "$STEP" "$*" >&2; exit 1; }

# Read KEY=value from patches/BASE.
base_field() {
	sed -n "s/^$1=//p" "$PATCHES/BASE"
}

# Private apt configuration: the system's mirror URI, our own suites and
# lists, so that nothing on the host's apt state changes.  The mirror is
# read from the machine's configuration and never written into the repo.
apt_private() {
	local dir=$CACHE/apt uri
	uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
	if [ -z "$uri" ]; then
		uri=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	fi
	[ -n "$uri" ] || die "no Debian mirror found in the apt configuration"
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
		"$uri" experimental "$uri" sid "$uri" trixie >"$dir/sources.list.new"
	# printf reuses its format for every two arguments: one line per suite.
	mv "$dir/sources.list.new" "$dir/sources.list"
	APT_PRIVATE=(-o "Dir::Etc::SourceList=$dir/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::Cache::Archives=$dir/archives"
		-o Debug::NoLocking=1
		-o APT::Sandbox::User=root)
	if [ ! -e "$dir/lists/.updated" ] ||
	   [ -n "$(find "$dir/lists/.updated" -mmin +1440)" ]; then
		apt-get "${APT_PRIVATE[@]}" -qq update >&2 || die "apt-get update (private config) failed"
		touch "$dir/lists/.updated"
	fi
}

# fetch_deb NAME VERSION FILE SHA256: put a verified .deb into $CACHE/downloads.
# Order: cache, ../shared/kernel, the registry through the private apt config.
fetch_deb() {
	local name=$1 version=$2 file=$3 sum=$4 dl=$CACHE/downloads
	mkdir -p "$dl"
	if [ ! -s "$dl/$file" ] && [ -s "$SHARED/kernel/$file" ]; then
		log "copying $file from shared/kernel"
		cp "$SHARED/kernel/$file" "$dl/$file.tmp" && mv "$dl/$file.tmp" "$dl/$file"
	fi
	if [ ! -s "$dl/$file" ]; then
		log "downloading $name=$version through a private apt config"
		apt_private
		(cd "$dl" && apt-get "${APT_PRIVATE[@]}" -qq download "$name=$version") ||
			die "cannot download $name=$version"
		# apt-get download escapes ':' and '~' differently on some versions.
		[ -s "$dl/$file" ] || mv "$dl"/"${name}"_*.deb "$dl/$file" 2>/dev/null ||
			die "download of $name did not produce $file"
	fi
	if ! echo "$sum  $dl/$file" | sha256sum -c --quiet - >/dev/null 2>&1; then
		local got
		got=$(sha256sum "$dl/$file" | cut -d' ' -f1)
		rm -f "$dl/$file"
		die "SHA256 mismatch for $file: expected $sum, got $got (file removed)"
	fi
	echo "$dl/$file"
}

# ccache shared by both trees: the O= directory sits inside each tree, so
# every path Kbuild passes is relative and identical between the trees.
ccache_env() {
	export CCACHE_DIR=$CACHE/ccache
	export CCACHE_BASEDIR=$BUILD
	export CCACHE_NOHASHDIR=1
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
	export CCACHE_COMPILERCHECK=content
	mkdir -p "$CCACHE_DIR"
}

uts_version() { sed -n 's/^#define UTS_VERSION "\(.*\)"/\1/p' "$1/obj/include/generated/utsversion.h"; }

# One boot per kernel; on the patched one the host drives the balloon over
# QMP while the guest counts the series' events (tests/vm/events.sh).
vm_suite() {	# vm_suite stock|patched LOG
	local src sock driver=0 rc=0 balloon=0
	src=$(kernel_src "$1")
	sock=$BUILD/vm/qmp-$1.sock
	rm -f "$sock"
	if [ "$1" = patched ]; then
		balloon=1
		bash "$TOP/tests/balloon-drive.sh" "$sock" "$2" 512 &
		driver=$!
	fi
	PAGEMOVE_OUT=$BUILD/vm/out bash "$TOP/ci/vm.sh" -k "$1" -m 2G -c 2 -t 1500 -q "$sock" -- \
		PAGEMOVE_BALLOON=$balloon bash "$TOP/tests/vm/suite.sh" \
		"$(cat "$src/obj/include/config/kernel.release")" "'$(uts_version "$src")'" || rc=$?
	[ "$driver" = 0 ] ||
		driver_result "$driver" "host inflated and deflated the guest's balloon over QMP"
	return $rc
}

# tell_host() failures forced on the testing kernel (ci/zsrace-kernel.sh,
# tests/vm/balloon-fail.sh): the host inflates and deflates by 64 MiB.
vm_balloon_fail() {	# vm_balloon_fail LOG
	local sock driver rc=0
	sock=$BUILD/vm/qmp-fail.sock
	rm -f "$sock"
	SQUEEZE_MIB=0 bash "$TOP/tests/balloon-drive.sh" "$sock" "$1" 64 &
	driver=$!
	PAGEMOVE_OUT=$BUILD/vm/out PAGEMOVE_OBJ=$BUILD/linux-zsrace/obj \
		bash "$TOP/ci/vm.sh" -k patched -m 1G -c 2 -t 600 -q "$sock" -- \
		bash "$TOP/tests/vm/balloon-fail.sh" || rc=$?
	driver_result "$driver" "host inflated and deflated the balloon of the testing kernel over QMP"
	return $rc
}

# driver_result PID WHAT: PASS or FAIL for the host-side balloon driver
# (tests/balloon-drive.sh) of a guest run that has ended.  The guest waits
# for the deflation before it ends: a driver still running now has failed.
driver_result() {
	local drc=0
	kill "$1" 2>/dev/null || true
	wait "$1" || drc=$?
	if [ "$drc" = 0 ]; then
		echo "PASS: $2"
	else
		echo "FAIL: $2: exit $drc"
	fi
}

# The balloon with deflate-on-oom=on (tests/vm/balloon-oom.sh): the host
# inflates by 1536 MiB, the guest runs short, the OOM notifier deflates.
# OPTS: more QEMU options (PAGEMOVE_VM_QEMU picks the binary, ci/vm.sh);
# SOCK: the QMP socket's name in build/vm (default qmp-oom.sock).
vm_balloon_oom() {	# vm_balloon_oom LOG [OPTS [SOCK]]
	local sock driver rc=0
	sock=$BUILD/vm/${3:-qmp-oom.sock}
	rm -f "$sock"
	SQUEEZE_MIB=0 bash "$TOP/tests/balloon-drive.sh" "$sock" "$1" 1536 &
	driver=$!
	PAGEMOVE_VM_QEMU_OPTS="${PAGEMOVE_VM_QEMU_OPTS--accel tcg,thread=single} -global virtio-balloon-pci.deflate-on-oom=on${2:+ $2}" \
		PAGEMOVE_OUT=$BUILD/vm/out bash "$TOP/ci/vm.sh" -k patched -m 2G -c 2 -t 900 -q "$sock" -- \
		bash "$TOP/tests/vm/balloon-oom.sh" || rc=$?
	driver_result "$driver" "host inflated and deflated the deflate-on-oom balloon over QMP"
	return $rc
}

# The QEMU companion's binary (ci/qemu.sh), or PAGEMOVE_QEMU_COMPANION.
qemu_companion() {
	echo "${PAGEMOVE_QEMU_COMPANION:-$BUILD/qemu/build/qemu-system-x86_64}"
}

# The balloon benchmarks' configurations: stock and patched, and
# patched_qemu (the patched kernel on the companion) where it is built.
balloon_configs() {
	local c
	c=$(qemu_companion)
	if [ -x "$c" ]; then
		echo "stock patched patched_qemu"
	else
		log "no QEMU companion at $c ('make qemu'): no patched_qemu configuration"
		echo "stock patched"
	fi
}

# The same on the QEMU companion (build/qemu, ci/qemu.sh) as a host that,
# like Firecracker, never acks an inflate buffer of more than
# BALLOON_HOST_MAX_PFNS (256) PFNs
# (patches/testing/qemu-balloon-max-pfns-per-buffer.patch): the run must
# end, and QEMU must have dropped no buffer (its warn_report() lines, on
# the VM's output in LOG).
vm_balloon_maxpfns() {	# vm_balloon_maxpfns LOG
	local max=${BALLOON_HOST_MAX_PFNS:-256} rc=0 n
	# The line counted below is the one the patch prints.
	if ! grep -q '"x-max-pfns-per-buffer=%u, never acked"' \
		"$PATCHES/testing/qemu-balloon-max-pfns-per-buffer.patch"; then
		echo "FAIL: the QEMU patch's warning is the line counted: not in the patch"
		return 1
	fi
	PAGEMOVE_VM_QEMU=$(qemu_companion) \
		vm_balloon_oom "$1" "-global virtio-balloon-device.x-max-pfns-per-buffer=$max" \
		qmp-maxpfns.sock || rc=$?
	n=$(grep -c 'x-max-pfns-per-buffer=[0-9]*, never acked' "$1" || true)
	if [ "$n" = 0 ]; then
		echo "PASS: a host acking at most $max PFNs a buffer dropped none"
	else
		echo "FAIL: a host acking at most $max PFNs a buffer dropped none: QEMU dropped $n"
		grep -m 3 'never acked' "$1" | sed 's/^/    /'
	fi
	return $rc
}
