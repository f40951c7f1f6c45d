#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Configure one tree: `virtme-configkernel --defconfig` (what virtme-ng needs
# to boot and run commands) plus every kconfig/*.config fragment, then check
# that each option a fragment asks for survived olddefconfig.  A renamed or
# unmet symbol (7.3 renamed the balloon ones) must fail here, not silently.
#
# usage: ci/config.sh stock|patched
STEP=config
. "$(dirname "$0")/lib.sh"

src=$(kernel_src "${1:-patched}")
obj=${PAGEMOVE_OBJ:-$src/obj}
[ -f "$src/Makefile" ] || die "no tree at $src (run 'make tree' / 'make series')"
mkdir -p "$obj"

fragments=("$KCONFIG"/*.config)
stamp=$obj/.pagemove-config
want=$(cat "${fragments[@]}" /usr/lib/python3/dist-packages/virtme/commands/configkernel.py \
	| sha256sum | cut -d' ' -f1)

if [ ! -f "$obj/.config" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	log "generating $obj/.config from virtme's defconfig + ${#fragments[@]} fragments"
	rm -f "$obj/.config" "$stamp"
	custom=()
	for f in "${fragments[@]}"; do custom+=(--custom "$f"); done
	(cd "$src" && virtme-configkernel --defconfig "${custom[@]}" O="$obj") >"$obj/.configkernel.log" 2>&1 ||
		{ tail -n 30 "$obj/.configkernel.log" >&2; die "virtme-configkernel failed"; }
fi

# Every line of every fragment must hold in the final .config.
bad=0
for f in "${fragments[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$obj/.config" && continue
			got=$(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo "absent")
			log "$(basename "$f"): asked for '$line', got '$got'"
			bad=1 ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			if grep -q "^$opt=" "$obj/.config"; then
				log "$(basename "$f"): asked for '$line', got '$(grep "^$opt=" "$obj/.config")'"
				bad=1
			fi ;;
		esac
	done <"$f"
done
[ $bad = 0 ] || die "config options did not survive olddefconfig (see above)"
echo "$want" >"$stamp"
log "$obj/.config: all kconfig/ fragment options present"
