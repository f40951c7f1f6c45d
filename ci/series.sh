#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make series: branch "pagemove" in build/linux-pagemove = the pinned base +
# `git am patches/[0-9]*.patch` (the cover letter 0000-* is not a patch).
# Fails naming the patch that does not apply.  Skips the work when the
# branch already holds exactly the current patches/ (keeps builds incremental).
#
# usage: ci/series.sh [N]   apply only the first N patches (prefix builds)
STEP=series
. "$(dirname "$0")/lib.sh"

[ -d "$STOCK_SRC/.git" ] || die "no base tree: run 'make tree' first"

mapfile -t all < <(series_patches)
n=${1:-${#all[@]}}
patches=("${all[@]:0:$n}")

want=$( { base_field commit; cat "${patches[@]}" /dev/null; } | sha256sum | cut -d' ' -f1)

if [ ! -d "$PATCHED_SRC" ]; then
	log "creating worktree $PATCHED_SRC"
	git -C "$STOCK_SRC" worktree prune
	git -C "$STOCK_SRC" worktree add -q --detach "$PATCHED_SRC" pagemove-base
fi
g() { git -C "$PATCHED_SRC" "$@"; }

# The stamp is per branch: worktrees share the repository's config, so a
# second worktree must not take the first one's stamp for its own.
stamp=pagemove.$SERIES_BRANCH.series
if [ "$(g config --get "$stamp" || true)" = "$want" ] &&
   [ "$(g symbolic-ref -q --short HEAD || true)" = "$SERIES_BRANCH" ] &&
   [ -z "$(g status --porcelain --untracked-files=no)" ]; then
	log "series (${#patches[@]} patches) already applied in $PATCHED_SRC"
	exit 0
fi

# Reproducible patch commits: fixed committer, dates from the patches.
export GIT_COMMITTER_NAME=$BASE_IDENT_NAME GIT_COMMITTER_EMAIL=$BASE_IDENT_EMAIL \
	GIT_COMMITTER_DATE=$BASE_DATE
g am --abort >/dev/null 2>&1 || true
g config --unset "$stamp" || true
g checkout -q -f -B "$SERIES_BRANCH" pagemove-base
if [ ${#patches[@]} = 0 ]; then
	log "patches/ has no patches: branch $SERIES_BRANCH is the base alone"
else
	log "git am ${#patches[@]} patches onto $(base_field commit | cut -c1-12)"
	git_am "$PATCHED_SRC" "the base" "${patches[@]}"
fi
g config "$stamp" "$want"
log "$SERIES_BRANCH at $(g rev-parse --short HEAD): $(g log --oneline pagemove-base..HEAD | wc -l) patches"
