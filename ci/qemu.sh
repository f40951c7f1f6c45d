#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make qemu: the balloon companion (patches/qemu/*.patch) and the test-only
# patches/testing/qemu-*.patch (device properties that are off unless a
# test sets them) built on the source of the QEMU this machine runs (Debian
# bookworm's qemu, 7.2), out of the project tree:
#   ~/.cache/pagemove/qemu/       the source package, unpacked once (pristine)
#   build/qemu/src                a copy with debian/patches and ours applied
#   build/qemu/build              meson/ninja build, ccache, x86_64-softmmu only
# The source comes through a private apt config with deb-src lines for the
# machine's own mirrors and suites (DESIGN.md); nothing on the host's apt
# state changes.  Rebuilds only what the patches change.  Prints the time.
# The binary runs with -L /usr/share/qemu (the installed package's firmware);
# ci/vm.sh does that for PAGEMOVE_VM_QEMU.
#
# usage: ci/qemu.sh [--fetch]   --fetch: only download and unpack the source
STEP=qemu
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
ver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null) ||
	die "qemu-system-x86 is not installed (make deps)"
upstream=${ver#*:}
upstream=${upstream%%-*}
log "companion for qemu $ver"

missing=()
for p in meson libglib2.0-dev libpixman-1-dev libfdt-dev libcap-ng-dev libattr1-dev dpkg-dev \
	ninja-build rsync ccache; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	{ apt-get -qq update && apt-get -y -qq install --no-install-recommends "${missing[@]}"; } \
		>>"$CACHE/deps.log" 2>&1 || die "apt-get install failed for: ${missing[*]}"
fi

cache=$CACHE/qemu
srcdir=$cache/qemu-$upstream
if [ ! -f "$srcdir/.pagemove-unpacked-$ver" ]; then
	adir=$cache/apt
	mkdir -p "$adir/lists/partial" "$adir/archives/partial"
	# deb-src for every URI/suite pair of the machine's deb822 sources.
	awk '/^URIs:/ { u = $2 }
		/^Suites:/ { for (i = 2; i <= NF; i++)
			printf "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n", u, $i }' \
		/etc/apt/sources.list.d/debian.sources >"$adir/sources.list"
	[ -s "$adir/sources.list" ] || die "no mirror found in /etc/apt/sources.list.d/debian.sources"
	apt=(-o "Dir::Etc::SourceList=$adir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$adir/lists" -o "Dir::Cache::Archives=$adir/archives"
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
	apt-get "${apt[@]}" -qq update >&2 || die "apt-get update (private deb-src config) failed"
	rm -rf "$cache/dl" && mkdir -p "$cache/dl"
	log "downloading the source package qemu=$ver"
	(cd "$cache/dl" && apt-get "${apt[@]}" -qq source --download-only "qemu=$ver") >&2 ||
		die "apt-get source qemu=$ver failed"
	rm -rf "$srcdir"
	log "unpacking (dpkg-source -x applies debian/patches)"
	dpkg-source -q -x "$cache"/dl/qemu_*.dsc "$srcdir" >&2 || die "dpkg-source -x failed"
	touch "$srcdir/.pagemove-unpacked-$ver"
fi

[ "${1:-}" = --fetch ] && { log "source in $srcdir"; exit 0; }

out=$BUILD/qemu
mkdir -p "$out"
# One build of build/qemu at a time (make check builds it in the background).
exec 9>"$out/.lock"
flock 9 || die "cannot lock $out"
# The companion, then the test-only device knobs make check uses
# (patches/testing/qemu-*.patch: off unless a test sets them).
mapfile -t ours < <(ls "$PATCHES"/qemu/*.patch 2>/dev/null; ls "$PATCHES"/testing/qemu-*.patch 2>/dev/null)
want=$( { echo "$ver"; cat "${ours[@]}" /dev/null; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/src/.pagemove-patches" 2>/dev/null)" != "$want" ]; then
	log "copying the source and applying ${#ours[@]} patch(es) from patches/qemu and patches/testing"
	mkdir -p "$out"
	# rsync keeps unchanged files' times: ninja rebuilds only what a patch touches.
	rsync -a --delete --exclude=.pagemove-patches "$srcdir/" "$out/src/"
	for p in "${ours[@]}"; do
		patch -s -d "$out/src" -p1 <"$p" || die "$(basename "$p") does not apply to qemu $ver"
	done
	echo "$want" >"$out/src/.pagemove-patches"
fi

ccache_env
if [ ! -f "$out/build/build.ninja" ]; then
	log "configuring (x86_64-softmmu only, no docs, tools, GUI, audio, networking backends)"
	mkdir -p "$out/build"
	(cd "$out/build" && ../src/configure --target-list=x86_64-softmmu --cc="ccache gcc" \
		--disable-docs --disable-tools --disable-werror --disable-user --disable-guest-agent \
		--disable-gtk --disable-sdl --disable-vnc --disable-opengl --disable-spice \
		--disable-curses --disable-alsa --disable-pa --disable-jack --disable-oss \
		--disable-libusb --disable-usb-redir --disable-smartcard --disable-xen \
		--disable-slirp --disable-capstone --disable-debug-info --enable-virtfs \
		--disable-vhost-user-blk-server --disable-libiscsi --disable-libnfs \
		--disable-rbd --disable-glusterfs --disable-curl --disable-gnutls \
		--disable-nettle --disable-gcrypt --disable-auth-pam --disable-linux-aio \
		--disable-linux-io-uring --disable-seccomp --disable-bpf --disable-kvm) >"$out/configure.log" 2>&1 ||
		{ tail -n 30 "$out/configure.log" >&2; die "configure failed (log: $out/configure.log)"; }
fi
log "building qemu-system-x86_64 (-j${JOBS:-$(nproc)})"
ninja -C "$out/build" -j"${JOBS:-$(nproc)}" qemu-system-x86_64 >"$out/build.log" 2>&1 ||
	{ grep -E -A5 'error' "$out/build.log" | tail -n 30 >&2; die "build failed (log: $out/build.log)"; }
"$out/build/qemu-system-x86_64" --version | head -n1 >&2
log "qemu-system-x86_64 in $out/build after $(( $(date +%s) - t0 ))s"
