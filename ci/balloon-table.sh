#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make balloon-table: seed 001's balloon latency table, stock and patched
# kernel, and the patched one on the QEMU companion.  Per configuration one
# VM of BALLOON_GUEST (default 8G) memory; ROUNDS (default 3) times the host
# inflates a BALLOON_TO (default 7G) balloon and deflates it with
# balloonctl, balloonlat attached in the guest (tests/vm/balloonlat.sh) and
# to QEMU on the host (tests/bench/balloon-table-host.sh).  Plain TCG, not
# the instruction counter: host and guest times are compared to a host wall
# clock.
# Prints the table (tests/bench/balloon-table.py), writes
# build/bench/balloon-table.{txt,json} and the raw files in
# build/bench/balloon/.
# BALLOONLAT_CHECK=1 (make check): 1 round, the counting checks instead.
# BALLOONLAT_LOG=1: balloonlat's event logs beside its JSON.
# KERNELS: the configurations, of stock, patched and patched_qemu (the
# patched kernel on the QEMU companion, build/qemu: `make qemu`); by
# default stock and patched, and patched_qemu where the companion is built
# (not with BALLOONLAT_CHECK=1).
STEP=balloon-table
. "$(dirname "$0")/lib.sh"

guest=${BALLOON_GUEST:-8G}
to=${BALLOON_TO:-7G}
rounds=${ROUNDS:-3}
check=${BALLOONLAT_CHECK:-0}
[ "$check" = 1 ] && rounds=1
to_bytes=$(numfmt --from=iec "$to") || die "BALLOON_TO=$to: not a size"
guest_bytes=$(numfmt --from=iec "$guest") || die "BALLOON_GUEST=$guest: not a size"
[ "$to_bytes" -lt "$guest_bytes" ] || die "BALLOON_TO ($to) must be below BALLOON_GUEST ($guest)"
[ $((to_bytes % 4096)) = 0 ] || die "BALLOON_TO must be a multiple of 4 KiB"
out=$BUILD/bench/balloon
[ "$check" = 1 ] && out=$BUILD/vm/balloonlat
rm -rf "$out"
mkdir -p "$out" "$BUILD/vm"
make -C "$TOP" --no-print-directory build/bin/balloonlat build/bin/balloonctl build/bin/pmstat \
	>/dev/null || die "cannot build balloonlat, balloonctl and pmstat"

companion=$(qemu_companion)
configs=${KERNELS:-}
if [ -z "$configs" ]; then
	configs="stock patched"
	[ "$check" = 1 ] || configs=$(balloon_configs)
fi
vmlogs=()
for k in $configs; do
	kern=${k%_qemu} qemu=
	case $k in
	stock|patched) ;;
	patched_qemu) qemu=$companion; [ -x "$qemu" ] || die "no QEMU companion at $qemu: run 'make qemu'" ;;
	*) die "KERNELS: '$k' is none of stock, patched, patched_qemu" ;;
	esac
	[ -f "$(kernel_src "$kern")/obj/arch/x86/boot/bzImage" ] || die "build the $kern kernel first"
	sock=$BUILD/vm/qmp-bt-$k.sock vmlog=$out/vm-$k.log
	rm -f "$sock"
	log "$k: $guest guest, $to balloon, $rounds rounds${qemu:+, QEMU $qemu}"
	BALLOON_TO=$to_bytes BALLOONLAT_CHECK=$check BALLOONLAT_LOG=${BALLOONLAT_LOG:-0} \
		bash "$TOP/tests/bench/balloon-table-host.sh" "$sock" "$vmlog" "$out" "$k" &
	host=$!
	rc=0
	PAGEMOVE_VM_QEMU=$qemu PAGEMOVE_OUT=$out bash "$TOP/ci/vm.sh" -k "$kern" -m "$guest" -c 2 \
		-t "${BALLOON_VM_TIMEOUT:-3600}" -q "$sock" -- BALLOON_TO=$to_bytes BALLOONLAT_CHECK=$check \
		BALLOONLAT_LOG=${BALLOONLAT_LOG:-0} BALLOONLAT_CONFIG=$k \
		bash "$TOP/tests/vm/balloonlat.sh" "$rounds" >"$vmlog" 2>&1 || rc=$?
	hrc=0
	# The guest ends after the host's last step: a driver still running failed.
	kill "$host" 2>/dev/null || true
	wait "$host" || hrc=$?
	grep '^bt-guest: ' "$vmlog" >&2 || true
	[ $rc = 0 ] || log "$k: the VM exited $rc (see $vmlog)"
	[ $hrc = 0 ] || log "$k: the host driver failed ($hrc, see $vmlog)"
	if [ "$check" = 1 ]; then
		[ $rc = 0 ] && [ $hrc = 0 ] &&
			echo "PASS: balloonlat $k: guest and host sides ran to the end" ||
			echo "FAIL: balloonlat $k: guest and host sides ran to the end: VM exit $rc," \
				"host driver exit $hrc (see $vmlog)"
	fi
	vmlogs+=("$vmlog")
done
if [ "$check" = 1 ]; then
	python3 "$TOP/tests/bench/balloon-table.py" --check --pmstat "$BUILD/bin/pmstat" "$out" \
		"${vmlogs[@]}"
	exit $?
fi
python3 "$TOP/tests/bench/balloon-table.py" --pmstat "$BUILD/bin/pmstat" \
	-o "$BUILD/bench/balloon-table.json" "$out" "${vmlogs[@]}" |
	tee "$BUILD/bench/balloon-table.txt"
[ "${PIPESTATUS[0]}" = 0 ] || die "no table (see $out)"
log "table in $BUILD/bench/balloon-table.txt, JSON in $BUILD/bench/balloon-table.json"
