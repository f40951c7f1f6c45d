#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# A kernel derived from the series: a commit of the patched tree's branch
# (its HEAD, or a prefix of the series) with test-only patches git am'ed on
# top, in its own worktree build/linux-NAME (branch pagemove-NAME), built in
# its obj/ with the patched kernel's .config.  The worktree sits in build/
# next to the other trees, so Kbuild's relative paths are the same and
# ccache serves every object the difference does not touch.  uname -r ends
# in -pagemove-NAME.  Checked out again only when the commit or a patch
# changed; make rebuilds what that touched.
# Used by ci/zsrace-kernel.sh (HEAD + the planted race) and
# ci/tponly-kernel.sh (the tracepoint patches alone, for make bench).
#
# usage: ci/derived-kernel.sh NAME COMMIT [PATCH...]
#        (needs the patched kernel built: its .config)
. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || die "usage: ci/derived-kernel.sh NAME COMMIT [PATCH...]"
name=$1 rev=$2
shift 2
[[ $name =~ ^[a-z][a-z0-9]*$ ]] || die "kernel name '$name': lower-case letters and digits only"
STEP="kernel $name"
for p; do [ -f "$p" ] || die "no $p"; done
DERIVED_SRC=$BUILD/linux-$name
BRANCH=$SERIES_BRANCH-$name
[ -d "$STOCK_SRC/.git" ] || die "no base tree: run 'make tree' first"
[ -f "$PATCHED_SRC/obj/.config" ] || die "no $PATCHED_SRC/obj/.config: build the patched kernel first"
# Reading the patched tree never writes to it (no index refresh).
export GIT_OPTIONAL_LOCKS=0
head=$(git -C "$PATCHED_SRC" rev-parse --verify -q "$rev^{commit}") ||
	die "no commit '$rev' in $PATCHED_SRC"
want=$( { echo "$head"; [ $# -eq 0 ] || cat "$@"; } | sha256sum | cut -d' ' -f1)

if [ ! -d "$DERIVED_SRC" ]; then
	log "creating worktree $DERIVED_SRC"
	git -C "$STOCK_SRC" worktree prune
	git -C "$STOCK_SRC" worktree add -q --detach "$DERIVED_SRC" "$head"
fi
g() { git -C "$DERIVED_SRC" "$@"; }
stamp=pagemove.$BRANCH.plants
if [ "$(g config --get "$stamp" || true)" != "$want" ] ||
   [ "$(g symbolic-ref -q --short HEAD || true)" != "$BRANCH" ] ||
   [ -n "$(g status --porcelain --untracked-files=no)" ]; then
	export GIT_COMMITTER_NAME=$BASE_IDENT_NAME GIT_COMMITTER_EMAIL=$BASE_IDENT_EMAIL \
		GIT_COMMITTER_DATE=$BASE_DATE
	g am --abort >/dev/null 2>&1 || true
	g config --unset "$stamp" || true
	g checkout -q -f -B "$BRANCH" "$head"
	if [ $# -gt 0 ]; then
		log "git am $# test-only patches onto $(g rev-parse --short HEAD)"
		git_am "$DERIVED_SRC" "$rev of the series" "$@"
	fi
	g config "$stamp" "$want"
fi

# The patched kernel's configuration, as it is (the series touches no
# Kconfig), with its stamp: ci/config.sh checks the fragments' options
# without generating it again.  Then ci/kernel.sh builds this tree.
mkdir -p "$DERIVED_SRC/obj"
for f in .config .pagemove-config; do
	cmp -s "$PATCHED_SRC/obj/$f" "$DERIVED_SRC/obj/$f" ||
		cp "$PATCHED_SRC/obj/$f" "$DERIVED_SRC/obj/$f"
done
PAGEMOVE_PATCHED_SRC=$DERIVED_SRC KLOCALVERSION=-$name bash "$TOP/ci/kernel.sh" patched ||
	die "the $name kernel does not build"
