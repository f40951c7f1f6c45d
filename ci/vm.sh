#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make vm: boot the built kernel under virtme-ng (TCG: this host's KVM refuses
# a standard guest) and run a command as root inside, with tracefs, debugfs
# and bpffs mounted.  The guest sees the host's root read-only with writable
# overlays; $PAGEMOVE_OUT (build/vm/out on the host) is shared read-write.
# Exits with the command's status; a hard timeout kills a hung guest.
#
# usage: ci/vm.sh [-k stock|patched] [-m MEM] [-c CPUS] [-t SECS] [-q QMP_SOCK] -- CMD...
STEP=vm
. "$(dirname "$0")/lib.sh"

usage() {
	cat >&2 <<EOF
usage: ci/vm.sh [-k stock|patched] [-m MEM] [-c CPUS] [-t SECS] [-q QMP_SOCK] -- CMD...

  -k KERNEL   which build to boot (default: patched)
  -m MEM      guest memory, QEMU syntax (default: 2G)
  -c CPUS     guest vCPUs (default: 2)
  -t SECS     hard timeout for the whole VM run (default: 900)
  -q SOCK     expose QEMU's QMP monitor on this unix socket (balloon control)

examples:
  ci/vm.sh -- uname -a
  ci/vm.sh -k stock -m 4G -- 'cat /proc/meminfo | head -3'
EOF
	exit 2
}

kernel=patched mem=2G cpus=2 timeout=900 qmp=
while getopts "k:m:c:t:q:h" o; do
	case $o in
	k) kernel=$OPTARG ;;
	m) mem=$OPTARG ;;
	c) cpus=$OPTARG ;;
	t) timeout=$OPTARG ;;
	q) qmp=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
[[ $cpus =~ ^[0-9]+$ ]] && [[ $timeout =~ ^[0-9]+$ ]] || usage
STEP="vm $kernel"

src=$(kernel_src "$kernel")
# PAGEMOVE_OBJ: another build directory of that tree (ci/check-debug.sh).
kobj=${PAGEMOVE_OBJ:-$src/obj}
image=$kobj/arch/x86/boot/bzImage
[ -f "$image" ] || die "no kernel at $image: run 'make kernel KERNEL=$kernel' first"
command -v vng >/dev/null || die "virtme-ng missing: run 'make deps'"

out=${PAGEMOVE_OUT:-$BUILD/vm/out}
mkdir -p "$out" "$BUILD/vm"
cmdfile=$(mktemp "$BUILD/vm/cmd.XXXXXX")
trap 'rm -f "$cmdfile"' EXIT
{
	echo "export PAGEMOVE_OUT='$out' PAGEMOVE_TOP='$TOP' PAGEMOVE_KERNEL='$kernel'"
	printf '%s\n' "$*"
} >"$cmdfile"

# QEMU options: PAGEMOVE_VM_QEMU_OPTS (make bench: the instruction counter,
# for deterministic guest timing; DESIGN.md), by default single-threaded
# TCG.  QEMU 7.2's multi-threaded TCG lets a vCPU run kernel text that
# another vCPU has just patched (static keys, BPF trampolines on fentry
# attach): the guest dies with "Oops: int3" in the patched function
# (urandom_read_iter at "crng init done", migrate_vma_setup+0x5 while
# migratevma attached) and vng exits 255: 2 of 3 boots with 2 vCPUs and
# both VM suites of one make check here; 0 of 2 with thread=single
# (about 1.6 times slower).
qopts=${PAGEMOVE_VM_QEMU_OPTS--accel tcg,thread=single}
[ -n "$qmp" ] && qopts="-qmp unix:$qmp,server=on,wait=off${qopts:+ $qopts}"
opts=()
# PAGEMOVE_VM_QEMU: another qemu-system-x86_64 (the balloon companion,
# `make qemu`); it finds its firmware where the installed packages keep it.
if [ -n "${PAGEMOVE_VM_QEMU:-}" ]; then
	opts+=(--qemu "$PAGEMOVE_VM_QEMU")
	qopts="-L /usr/share/qemu -L /usr/share/seabios -L /usr/lib/ipxe/qemu${qopts:+ $qopts}"
fi
[ -n "$qopts" ] && opts+=(--qemu-opts="$qopts")
# PAGEMOVE_VM_VERBOSE=1: the guest's kernel console too (panics, oopses).
[ "${PAGEMOVE_VM_VERBOSE:-0}" = 1 ] && opts+=(--verbose)

runlog=$(mktemp "$BUILD/vm/run.XXXXXX")
trap 'rm -f "$cmdfile" "$runlog"' EXIT
for attempt in 1 2; do
	log "booting $(cat "$kobj/include/config/kernel.release") ($mem, $cpus vCPUs, timeout ${timeout}s)"
	set +e
	# vng needs a standard input that exists (it crashes on a closed one).
	timeout -k 15 "$timeout" vng --run "$image" --disable-kvm --memory "$mem" --cpus "$cpus" \
		--balloon --rwdir "$out=$out" "${opts[@]}" \
		--exec "bash $TOP/ci/guest-run.sh $cmdfile" </dev/null 2>&1 | tee "$runlog"
	rc=${PIPESTATUS[0]}
	set -e
	# Seen once in 10 runs: vng exiting with 255 before the guest ran
	# anything.  Boot again then; a guest that started is never rerun.
	grep -q '^pagemove-guest: started' "$runlog" && break
	[ $attempt = 1 ] && log "the guest never started (vng exit $rc): booting again"
done
grep -q '^pagemove-guest: started' "$runlog" || die "the guest never started (vng exit $rc)"
case $rc in
124|137) die "guest did not finish within ${timeout}s (killed)" ;;
255) log "vng exit 255: the guest ended without reporting its status (a kernel" \
	"panic or oops does this); PAGEMOVE_VM_VERBOSE=1 shows its console" ;;
esac
exit $rc
