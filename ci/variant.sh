# SPDX-License-Identifier: GPL-2.0
# Kernel configuration variants: kconfig/variants/NAME.config merged on top
# of a tree's default .config (ci/config.sh: virtme's defconfig +
# kconfig/*.config), built in <tree>/obj-NAME.  Used by ci/config-matrix.sh
# and ci/check-debug.sh.  Sourced after lib.sh, never executed.
#
# A fragment may say "# arch: ARCH" (make ARCH=ARCH).  A fragment that asks
# for CONFIG_MODULES=y also turns into =m every tristate option with a prompt
# that kconfig/*.config sets to y, and every one that builds a file the
# series touches: what the series' modules are is read from Kconfig and the
# Makefiles, never listed by hand.

VARIANTS=$KCONFIG/variants

variant_fragment() { echo "$VARIANTS/$1.config"; }
variant_arch() { sed -n 's/^# arch: *//p' "$(variant_fragment "$1")" | head -n1; }

# The files the series touches, relative to the tree's top.
series_files() {
	git -C "$PATCHED_SRC" diff --name-only pagemove-base HEAD
}

# kconfig_type SRC SYM: "tristate" if SYM is a tristate with a prompt (a
# user can pick m), else whatever its type is ("bool", or "tristate-noprompt").
kconfig_type() {
	local src=$1 sym=$2
	(cd "$src" && git ls-files -- '*Kconfig*' | xargs awk -v sym="$sym" '
		/^[[:space:]]*(menu)?config[[:space:]]/ { in_sym = ($2 == sym); next }
		/^[[:space:]]*(choice|endchoice|menu|endmenu|if|endif|comment|source)([[:space:]]|$)/ { in_sym = 0; next }
		in_sym && /^[[:space:]]*tristate[[:space:]]+"/ { t = "tristate"; exit }
		in_sym && /^[[:space:]]*tristate[[:space:]]*$/ { if (t == "") t = "tristate-noprompt" }
		in_sym && /^[[:space:]]*prompt[[:space:]]/ && t == "tristate-noprompt" { t = "tristate"; exit }
		in_sym && /^[[:space:]]*bool/ { if (t == "") t = "bool" }
		END { print t }')
}

# obj_conditions SRC DIR/FILE.o: the CONFIG_ symbols that put FILE.o into
# the build, read from DIR/Makefile (obj-$(CONFIG_X) += file.o, or a part of
# a composite object: foo-$(CONFIG_Y) += file.o, foo-objs := file.o, with
# foo.o resolved the same way).  "y" for obj-y.  One symbol a line; prints
# nothing if the Makefile does not name the object.
obj_conditions() {
	local src=$1 o=$2 dir base mk
	dir=$(dirname "$o") base=$(basename "$o")
	mk=$src/$dir/Makefile
	[ -f "$mk" ] || mk=$src/$dir/Kbuild
	[ -f "$mk" ] || return 0
	# Join continuation lines, then find the assignment naming the object.
	sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$mk" | awk -v o="$base" '
		{
			found = 0
			for (i = 3; i <= NF; i++) if ($i == o) found = 1
			if (!found || ($2 != "+=" && $2 != ":=" && $2 != "=")) next
			lhs = $1
			if (lhs ~ /^obj-y$/) { print "y"; next }
			if (match(lhs, /^obj-\$\(CONFIG_[A-Za-z0-9_]+\)$/)) {
				print substr(lhs, 7, length(lhs) - 7); next
			}
			# foo-y, foo-objs, foo-$(CONFIG_Y): part of foo.o
			if (match(lhs, /-\$\(CONFIG_[A-Za-z0-9_]+\)$/)) {
				print substr(lhs, RSTART + 3, RLENGTH - 4)
				print "part:" substr(lhs, 1, RSTART - 1) ".o"
			} else if (match(lhs, /-(y|objs)$/)) {
				print "part:" substr(lhs, 1, RSTART - 1) ".o"
			}
		}' | while IFS= read -r c; do
		case $c in
		part:*) obj_conditions "$src" "$dir/${c#part:}" ;;
		*) echo "$c" ;;
		esac
	done | sort -u
}

# obj_state CONFIGFILE CONDITIONS...: y (built in), m (in a module), or
# "n SYM" naming the first condition that is off.
obj_state() {
	local cfg=$1 st=y c v
	shift
	[ $# -gt 0 ] || { echo "n (no Makefile rule names it)"; return; }
	for c; do
		[ "$c" = y ] && continue
		v=$(sed -n "s/^$c=//p" "$cfg")
		case $v in
		y) ;;
		m) st=m ;;
		*) echo "n $c"; return ;;
		esac
	done
	echo "$st"
}

# config_holds CONFIGFILE FRAGMENT [NAME]: every CONFIG_X=v and "# CONFIG_X
# is not set" line of FRAGMENT holds in CONFIGFILE; names each one that
# does not (and, for an option kept on, what selects it).
config_holds() {
	local cfg=$1 frag=$2 label=${3:-$(basename "$2")} line opt got bad=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$cfg" && continue
			got=$(grep -E "^(# )?${line%%=*}[= ]" "$cfg" || echo "absent")
			echo "$label: asked for '$line', got '$got'"
			bad=1 ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			if got=$(grep "^$opt=" "$cfg"); then
				echo "$label: asked for '$line', got '$got'$(selected_by "$cfg" "${opt#CONFIG_}")"
				bad=1
			fi ;;
		esac
	done <"$frag"
	return $bad
}

# selected_by CONFIGFILE SYM: ", selected by X, Y" for the options that are
# on in CONFIGFILE and "select SYM" (why olddefconfig kept SYM on).
selected_by() {
	local cfg=$1 sym=$2 who s on=
	who=$(cd "$PATCHED_SRC" && git ls-files -- '*Kconfig*' | xargs awk -v sym="$sym" '
		/^[[:space:]]*(menu)?config[[:space:]]/ { cur = $2; next }
		$1 == "select" && $2 == sym && cur != "" { print cur }' | sort -u)
	for s in $who; do
		grep -q "^CONFIG_$s=[ym]" "$cfg" && on="$on${on:+, }$s"
	done
	[ -n "$on" ] && echo ", selected by $on"
}

# variant_config NAME: write and check <patched tree>/obj-NAME/.config.
# Prints what it did; exit status 1, with the options named, when a line of
# the fragment (or a generated =m) did not survive olddefconfig.
variant_config() {
	local name=$1 frag obj dir arch eff want sym f c t
	frag=$(variant_fragment "$name")
	[ -f "$frag" ] || { echo "no fragment $frag"; return 1; }
	dir=obj-$name obj=$PATCHED_SRC/obj-$name arch=$(variant_arch "$name")
	bash "$TOP/ci/config.sh" patched >/dev/null 2>&1 ||
		{ echo "the default config (ci/config.sh patched) fails"; return 1; }
	mkdir -p "$obj"
	eff=$obj/.pagemove-fragment
	cp "$frag" "$eff.new"
	if grep -qx 'CONFIG_MODULES=y' "$frag"; then
		echo "# generated: tristate options of kconfig/*.config and of the series' files" >>"$eff.new"
		{
			sed -n 's/^CONFIG_\([A-Za-z0-9_]*\)=y$/\1/p' "$KCONFIG"/*.config
			while IFS= read -r f; do
				case $f in *.c) ;; *) continue ;; esac
				obj_conditions "$PATCHED_SRC" "${f%.c}.o" | sed -n 's/^CONFIG_//p'
			done < <(series_files)
		} | sort -u | while IFS= read -r sym; do
			t=$(kconfig_type "$PATCHED_SRC" "$sym")
			[ "$t" = tristate ] && echo "CONFIG_$sym=m"
		done >>"$eff.new"
	fi
	mv "$eff.new" "$eff"
	want=$(cat "$PATCHED_SRC/obj/.config" "$eff" | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$obj/.pagemove-config" 2>/dev/null)" != "$want" ]; then
		rm -f "$obj/.pagemove-config"
		(cd "$PATCHED_SRC" && bash scripts/kconfig/merge_config.sh -m -O "$dir" \
			obj/.config "$eff") \
			>"$obj/.merge.log" 2>&1 ||
			{ tail -n 20 "$obj/.merge.log"; echo "merge_config.sh failed"; return 1; }
		KOBJ=$dir KARCH=$arch kmake patched -s olddefconfig >>"$obj/.merge.log" 2>&1 ||
			{ tail -n 20 "$obj/.merge.log"; echo "olddefconfig failed"; return 1; }
	fi
	config_holds "$obj/.config" "$eff" "variants/$name.config" || return 1
	echo "$want" >"$obj/.pagemove-config"
	c=$(grep -cE '^(CONFIG_|# CONFIG_.* is not set$)' "$eff")
	echo "obj-$name/.config${arch:+ (ARCH=$arch)}: all $c options of $(basename "$frag")$(grep -q '^# generated' "$eff" && echo " and its generated =m lines") hold"
}
