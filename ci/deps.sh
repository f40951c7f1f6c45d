#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make deps: install what pagemove needs on Debian 12 (bookworm), as root.
# Idempotent and quiet when everything is already there.
STEP=deps
. "$(dirname "$0")/lib.sh"

PKGS=(
	# userspace, BPF and analysis (libclang-rt: libFuzzer, only recommended
	# by clang; linux-perf: perf list of the series' events in the guest)
	build-essential time clang llvm lld libbpf-dev bpftool libelf-dev zlib1g-dev
	libclang-rt-14-dev gnuplot-nox pkg-config linux-perf
	# kernel build
	flex bison bc libssl-dev dwarves cpio zstd xz-utils ccache kmod rsync
	python3 python3-ply python3-git git
	# VM and patch tooling (udev: virtme-init needs its /dev/virtio-ports links)
	qemu-system-x86 udev busybox-static b4 socat
	# balloonctl parses QMP with jansson
	libjansson-dev
	# independent counts in balloonlat's checks (guest and host)
	bpftrace
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
vng_ok=0
dpkg-query -W -f='${Status} ${Version}' virtme-ng 2>/dev/null | grep -q 'install ok installed 1\.3[5-9]' && vng_ok=1

if [ ${#missing[@]} = 0 ] && [ $vng_ok = 1 ]; then
	exit 0
fi
[ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]} ${vng_ok/1/}${vng_ok/0/virtme-ng}"

export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} != 0 ]; then
	log "installing ${missing[*]}"
	mkdir -p "$CACHE"
	{ apt-get -qq update && apt-get -y -qq install --no-install-recommends "${missing[@]}"; } \
		>"$CACHE/deps.log" 2>&1 ||
		{ tail -n 20 "$CACHE/deps.log" >&2; die "apt-get install failed for: ${missing[*]}"; }
fi

if [ $vng_ok = 0 ]; then
	# Not in bookworm: trixie's arch-all package installs on bookworm.
	deb=$(fetch_deb virtme-ng 1.35-1 "$VNG_DEB" "$VNG_SHA256")
	log "installing $deb"
	apt-get -y -qq install --no-install-recommends "$deb" >>"$CACHE/deps.log" 2>&1 ||
		{ tail -n 20 "$CACHE/deps.log" >&2; die "cannot install $deb"; }
fi
log "all dependencies installed"
