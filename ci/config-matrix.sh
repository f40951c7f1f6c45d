#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make config-matrix: the whole series in the configurations its maintainers
# build (kconfig/variants/: tracing off, modules, no balloon migration,
# i386), each in <patched tree>/obj-NAME.  Per configuration: its .config
# holds every line asked for; `make prepare`; then every C file the series
# touches (git diff --name-only pagemove-base HEAD) compiles with W=1 and
# adds no warning the base tree does not have in that configuration (the
# base is compiled only when the patched file warns); in the modules
# configuration, modpost checks every module built from the series' files
# or from a tristate option of kconfig/*.config (see modpost_check).
# Each prefix of the series is built in the default configuration by
# ci/series-builds.sh.  One PASS/FAIL line per configuration and object; an
# object a configuration cannot build is a counted SKIP, with the option
# that is off.  Closing line "N passed, N failed, N skipped".
#
# usage: ci/config-matrix.sh [NAME...]   (default: $PAGEMOVE_MATRIX or all four)
#        PAGEMOVE_MATRIX_PLANT=patches/testing/FILE.patch ci/config-matrix.sh ...
STEP=config-matrix
. "$(dirname "$0")/lib.sh"
. "$TOP/ci/variant.sh"
# The base tree for W=1 and modpost baselines: the stock tree, or another
# checkout of the base (a second clone, whose stock tree is not its own).
STOCK_SRC=${PAGEMOVE_MATRIX_BASE:-$STOCK_SRC}
set +e

variants=("$@")
[ ${#variants[@]} -gt 0 ] || read -r -a variants <<<"${PAGEMOVE_MATRIX:-notrace modules noballoonmig i386}"
passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "PASS: $1"; }
fail() { failed=$((failed + 1)); echo "FAIL: $1: $2"; }
skip() { skipped=$((skipped + 1)); echo "SKIP: $1: $2"; }
t0=$(date +%s)

bash "$TOP/ci/series.sh" >/dev/null || { fail "matrix: series applied" "ci/series.sh failed"; exit 1; }
# PAGEMOVE_MATRIX_PLANT=FILE.patch: a planted bug (patches/testing/) on top
# of the series for this run, removed at exit.
plant=
if [ -n "${PAGEMOVE_MATRIX_PLANT:-}" ]; then
	plant=$(realpath "$PAGEMOVE_MATRIX_PLANT")
	git -C "$PATCHED_SRC" apply "$plant" ||
		{ fail "matrix: planted $(basename "$plant") applies" "git apply failed"; exit 1; }
	trap 'git -C "$PATCHED_SRC" apply -R "$plant"' EXIT
	echo "planted $(basename "$plant") on top of the series"
fi
mapfile -t cfiles < <(series_files | grep '\.c$')
[ ${#cfiles[@]} -gt 0 ] || { fail "matrix: the series touches C files" "none found"; exit 1; }
ccache_env
jobs=${JOBS:-$(nproc)}

# vk stock|patched NAME ARGS...: kmake in obj-NAME with that variant's ARCH.
vk() {
	local which=$1 name=$2
	shift 2
	KOBJ=obj-$name KARCH=$(variant_arch "$name") kmake "$which" "$@"
}

# base_config NAME: obj-NAME of the base tree, configured like the patched one.
base_config() {
	local name=$1 bobj=$STOCK_SRC/obj-$1
	[ -f "$STOCK_SRC/Makefile" ] || { echo "no base tree at $STOCK_SRC"; return 1; }
	mkdir -p "$bobj"
	if ! cmp -s "$PATCHED_SRC/obj-$name/.config" "$bobj/.pagemove-config-src"; then
		cp "$PATCHED_SRC/obj-$name/.config" "$bobj/.config"
		vk stock "$name" -s olddefconfig >"$bobj/prepare.log" 2>&1 || return 1
		cp "$PATCHED_SRC/obj-$name/.config" "$bobj/.pagemove-config-src"
	fi
	vk stock "$name" -s -j"$jobs" prepare >>"$bobj/prepare.log" 2>&1 ||
		{ tail -n 20 "$bobj/prepare.log"; return 1; }
}

# warnings LOG: "file: message" per warning, line and column dropped.
warnings() {
	sed -n 's/^\([^:]*\.[ch]\):[0-9]*:[0-9]*: warning: /\1: /p' "$1" | sort -u
}

# w1 stock|patched NAME FILE.o: compile with W=1 into obj-NAME; the log is
# obj-NAME/w1/FILE.log.  Exit status of the build.  -Wno-error: with
# CONFIG_WERROR a W=1 warning would stop the build, in the base too, and
# the comparison with the base's warnings could not be made.
w1() {
	local src log
	src=$(kernel_src "$1")
	log=$src/obj-$2/w1/${3%.o}.log
	mkdir -p "$(dirname "$log")"
	vk "$1" "$2" -s W=1 KCFLAGS=-Wno-error "$3" >"$log" 2>&1
}

# compile_check NAME FILE.o: one PASS/FAIL/SKIP line for the object.
compile_check() {
	local name=$1 o=$2 cfg state log new base_w what
	cfg=$PATCHED_SRC/obj-$name/.config
	read -r -a cond < <(obj_conditions "$PATCHED_SRC" "$o" | tr '\n' ' ')
	state=$(obj_state "$cfg" "${cond[@]}")
	if [ "${state%% *}" = n ]; then
		skip "$name: $o" "not built in this configuration (${state#n } is off)"
		return
	fi
	what=$o
	[ "$state" = m ] && what="$o (module)"
	log=$PATCHED_SRC/obj-$name/w1/${o%.o}.log
	if ! w1 patched "$name" "$o"; then
		fail "$name: $what builds" "$(grep -E -m 8 'error|Error' "$log" | sed 's/^/    /')"
		return
	fi
	new=$(warnings "$log")
	if [ -n "$new" ]; then
		# Warnings: which of them has the base too, in this configuration?
		if [ -f "$STOCK_SRC/${o%.o}.c" ]; then
			if ! base_config "$name" >/dev/null || ! w1 stock "$name" "$o"; then
				fail "$name: $what adds no W=1 warning" "the base does not build it here (see $STOCK_SRC/obj-$name)"
				return
			fi
			base_w=$(warnings "$STOCK_SRC/obj-$name/w1/${o%.o}.log")
			new=$(comm -13 <(echo "$base_w") <(echo "$new"))
		fi
	fi
	if [ -n "$new" ]; then
		fail "$name: $what builds, no new W=1 warning" \
			"$(echo; echo "$new" | sed 's/^/    /')"
	else
		pass "$name: $what builds, no new W=1 warning"
	fi
}

# exports OBJ...: the names an object exports (EXPORT_SYMBOL* leave a
# __export_symbol_NAME in .export_symbol).
exports() {
	nm "$@" 2>/dev/null | sed -n 's/^[0-9a-f]* [a-zA-Z] __export_symbol_//p' | sort -u
}
undefined() { nm -u "$@" 2>/dev/null | awk '{ print $NF }' | sort -u; }

# source_exports: the names exported in the tree's source outside the files
# the series touches (theirs come from their objects as compiled), for
# x86 and the generic code: EXPORT_SYMBOL*, EXPORT_PER_CPU_SYMBOL*,
# EXPORT_TRACEPOINT_SYMBOL* (four symbols each), EXPORT_STATIC_CALL*.
# A name a macro pastes together (EXPORT_SYMBOL_GPL(bpf_trace_run##x))
# comes out as "prefix:bpf_trace_run".
source_exports() {
	local ex=() f
	while IFS= read -r f; do ex+=(":!$f"); done < <(series_files)
	for f in "$PATCHED_SRC"/arch/*/; do
		f=${f%/} f=${f##*/}
		[ "$f" = x86 ] || ex+=(":!arch/$f")
	done
	(cd "$PATCHED_SRC" && git grep -h -o -E \
		'\bEXPORT_(PER_CPU_|TRACEPOINT_|STATIC_CALL_)?SYMBOL[A-Z_]*\([[:space:]]*[A-Za-z0-9_]+([[:space:]]*##)?|\bEXPORT_STATIC_CALL(_GPL|_TRAMP|_TRAMP_GPL)?\([[:space:]]*[A-Za-z0-9_]+|\b__EXPORT_THUNK\([[:space:]]*[A-Za-z0-9_]+([[:space:]]*##)?' \
		-- . ':!tools' ':!Documentation' ':!scripts' "${ex[@]}") |
	awk -F'(' '{
		gsub(/[[:space:]]/, "", $2)
		# a macro pastes the rest: bpf_trace_run##x, and the x86 retpoline
		# thunks, __x86_indirect_thunk_##reg, exported by __EXPORT_THUNK()
		if ($2 ~ /##$/) {
			sub(/##$/, "", $2); print "prefix:" $2
		} else if ($1 ~ /^EXPORT_TRACEPOINT_/) {
			print "__tracepoint_" $2; print "__traceiter_" $2
			print "__SCK__tp_func_" $2; print "__SCT__tp_func_" $2
		} else if ($1 ~ /^EXPORT_STATIC_CALL/) {
			print "__SCK__" $2; print "__SCT__" $2
		} else print $2
	}' | sort -u
}

# modpost_check: the cheapest real check that a module finds every symbol
# it needs, without linking vmlinux.  Kbuild builds each module (single
# .ko targets); scripts/mod/modpost then runs on them with
#  - "vmlinux.o" = a relocatable link of the built-in objects the series
#    touches: their exports are read from the code as compiled here,
#  - a symbol dump of what the rest of vmlinux provides: every name the
#    source exports outside the series' files (x86 and generic code), and
#    the symbols each module already needs on the base tree in this same
#    configuration (exports a macro builds; the base is assumed to link).
# So a symbol the series makes a module need - a core tracepoint without
# EXPORT_TRACEPOINT_SYMBOL, a static function - is "undefined!" here as it
# would be at the end of a full `make modules`.  Not caught: a symbol
# exported by a file the series does not touch that this configuration
# compiles out.
modpost_check() {
	local name=$1 obj=$PATCHED_SRC/obj-$1 mods=() builtin=() m sym line f st dir tmp rc out
	# The modules: obj-$(CONFIG_X) += name.o for each X this config has =m,
	# among the options variant_config made modules.
	while IFS= read -r line; do
		sym=${line%%=*}
		grep -qx "$sym=m" "$obj/.config" || continue
		while IFS=: read -r f _ rest; do
			for m in $(sed -n "s/.*obj-\$($sym)[[:space:]]*[+:]\?=//p" <<<"$rest"); do
				case $m in *.o) mods+=("$(dirname "$f")/${m%.o}.ko") ;; esac
			done
		done < <(cd "$PATCHED_SRC" && git grep -n -F "obj-\$($sym)" -- '*Makefile' '*Kbuild')
	done < <(sed -n '/^# generated/,$ { /=m$/p }' "$obj/.pagemove-fragment")
	mapfile -t mods < <(printf '%s\n' "${mods[@]}" | sed 's|^\./||' | sort -u)
	if [ ${#mods[@]} = 0 ]; then
		fail "$name: modpost" "no module in this configuration"
		return
	fi
	for f in "${cfiles[@]}"; do
		read -r -a cond < <(obj_conditions "$PATCHED_SRC" "${f%.c}.o" | tr '\n' ' ')
		st=$(obj_state "$obj/.config" "${cond[@]}")
		[ "$st" = y ] && builtin+=("${f%.c}.o")
	done
	echo "modpost: modules ${mods[*]}; built-in objects of the series: ${builtin[*]:-none}"
	# Build the modules (their own modpost has no vmlinux.o: warnings only).
	if ! vk patched "$name" -s -j"$jobs" KBUILD_MODPOST_WARN=1 KBUILD_MODPOST_NOFINAL=1 \
		"${builtin[@]}" "${mods[@]}" >"$obj/modules.log" 2>&1; then
		fail "$name: the modules build" "$(grep -E -m 8 'error|Error' "$obj/modules.log")"
		return
	fi
	tmp=$(mktemp -d)
	# What the base's modules need (built the same way in the base tree).
	if base_config "$name" >/dev/null; then
		local bmods=()
		for m in "${mods[@]}"; do
			[ -f "$STOCK_SRC/$(dirname "$m")/Makefile" ] && bmods+=("$m")
		done
		vk stock "$name" -s -j"$jobs" KBUILD_MODPOST_WARN=1 KBUILD_MODPOST_NOFINAL=1 \
			"${bmods[@]}" >"$STOCK_SRC/obj-$name/modules.log" 2>&1 ||
			{ fail "$name: the base's modules build" "see $STOCK_SRC/obj-$name/modules.log"; rm -rf "$tmp"; return; }
		for m in "${mods[@]}"; do
			[ -f "$STOCK_SRC/obj-$name/${m%.ko}.o" ] || continue
			undefined "$STOCK_SRC/obj-$name/${m%.ko}.o"
		done >"$tmp/base-needs.0"
		source_exports >"$tmp/source-exports"
		grep -v '^prefix:' "$tmp/source-exports" >>"$tmp/base-needs.0"
		# Names exported through token pasting: each symbol the modules
		# need that starts with such a prefix (a module creating its own
		# events needs bpf_trace_run<N>).
		sed -n 's/^prefix://p' "$tmp/source-exports" >"$tmp/prefixes"
		for m in "${mods[@]}"; do
			undefined "$obj/${m%.ko}.o"
		done | awk 'NR == FNR { p[$1]; next } { for (x in p) if (index($1, x) == 1) { print; break } }' \
			"$tmp/prefixes" - >>"$tmp/base-needs.0"
		sort -u "$tmp/base-needs.0" >"$tmp/base-needs"
	else
		fail "$name: the base tree is configured" "see $STOCK_SRC/obj-$name/prepare.log"
		rm -rf "$tmp"
		return
	fi
	# The dump: what the base modules need, minus what the touched built-in
	# objects and the modules export themselves (modpost refuses a symbol
	# exported twice).
	(cd "$obj" && {
		[ ${#builtin[@]} = 0 ] || exports "${builtin[@]}"
		exports "${mods[@]/%.ko/.o}"
	}) | sort -u >"$tmp/exported-here"
	comm -23 "$tmp/base-needs" "$tmp/exported-here" |
		awk '{ printf "0x00000000\t%s\tvmlinux\tEXPORT_SYMBOL\t\n", $1 }' >"$tmp/base.symvers"
	printf '%s\n' "${mods[@]/%.ko/.o}" >"$tmp/modules.order"
	rm -f "$obj/vmlinux.o"
	if [ ${#builtin[@]} -gt 0 ]; then
		(cd "$obj" && ld -m "$(ld_emulation "$name")" -r -o vmlinux.o "${builtin[@]}") ||
			{ fail "$name: modpost" "cannot link the built-in objects"; rm -rf "$tmp"; return; }
	fi
	out=$(cd "$obj" && ./scripts/mod/modpost -M -i "$tmp/base.symvers" -o "$tmp/out.symvers" \
		-T "$tmp/modules.order" $([ ${#builtin[@]} -gt 0 ] && echo vmlinux.o) 2>&1)
	rc=$?
	rm -f "$obj/vmlinux.o"
	[ -n "$out" ] && echo "$out" | sed 's/^/  modpost: /'
	for m in "${mods[@]}"; do
		if grep -F "ERROR: modpost: ${m%.ko}.ko:" <<<"$out" >"$tmp/err"; then
			fail "$name: modpost $m: every symbol it needs is exported" \
				"$(head -n 5 "$tmp/err" | sed 's/^ERROR: modpost: //' | tr '\n' ' ')"
		else
			pass "$name: modpost $m: every symbol it needs is exported"
		fi
	done
	# An error that names no module (vmlinux.o's section mismatches, ...).
	if [ $rc != 0 ] && ! grep -q "ERROR: modpost: .*\.ko:" <<<"$out"; then
		fail "$name: modpost" "exit $rc: $(grep -m 3 ERROR <<<"$out" | tr '\n' ' ')"
	fi
	rm -rf "$tmp"
}

ld_emulation() { [ "$(variant_arch "$1")" = i386 ] && echo elf_i386 || echo elf_x86_64; }

for name in "${variants[@]}"; do
	s=$(date +%s)
	echo "=== configuration $name"
	if ! out=$(variant_config "$name"); then
		fail "$name: .config has what kconfig/variants/$name.config asks for" "$(echo; echo "$out" | sed 's/^/    /')"
		continue
	fi
	pass "$name: $out"
	obj=$PATCHED_SRC/obj-$name
	if ! vk patched "$name" -s -j"$jobs" prepare >"$obj/prepare.log" 2>&1; then
		fail "$name: make prepare" "$(tail -n 5 "$obj/prepare.log" | tr '\n' ' ')"
		continue
	fi
	for f in "${cfiles[@]}"; do
		compile_check "$name" "${f%.c}.o"
	done
	grep -qx 'CONFIG_MODULES=y' "$obj/.config" && modpost_check "$name"
	echo "=== configuration $name: $(( $(date +%s) - s ))s"
done
printf 'config matrix took %ds\n' $(( $(date +%s) - t0 ))
printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
