#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate patches/ from branch "pagemove" of build/linux-pagemove (where
# the series is developed) with `git format-patch --base`, the cover letter's
# subject and text taken from ci/cover-letter.txt (first line: subject),
# To/Cc from scripts/get_maintainer.pl.
# Then check that the result applies to the base with plain git am.
STEP=export-series
. "$(dirname "$0")/lib.sh"

[ -d "$PATCHED_SRC" ] || die "no $PATCHED_SRC"
cover=$TOP/ci/cover-letter.txt
[ -f "$cover" ] || die "no $cover"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$PATCHED_SRC" format-patch -q --base=pagemove-base \
	-o "$tmp/probe" pagemove-base.."$SERIES_BRANCH"
# To: the maintainers of what the series touches; Cc: their reviewers and
# lists, as scripts/get_maintainer.pl says for the whole series.
who() {
	(cd "$PATCHED_SRC" && PATH=/usr/bin:$PATH perl scripts/get_maintainer.pl --no-git \
		--no-git-fallback --no-rolestats "$@" "$tmp"/probe/*.patch)
}
mapfile -t to < <(who --no-r --no-l)
mapfile -t cc < <(who --no-m --r --l)
[ ${#to[@]} -gt 0 ] || die "get_maintainer.pl named no maintainer for the series"
git -C "$PATCHED_SRC" format-patch -q --cover-letter --base=pagemove-base \
	--subject-prefix="PATCH v$SERIES_VERSION" \
	"${to[@]/#/--to=}" "${cc[@]/#/--cc=}" -o "$tmp" pagemove-base.."$SERIES_BRANCH"
rm -rf "$tmp/probe"
subject=$(head -n1 "$cover")
python3 - "$tmp/0000-cover-letter.patch" "$cover" "$subject" <<'PY'
import sys
path, cover, subject = sys.argv[1:]
text = open(path).read()
body = open(cover).read().split('\n', 1)[1].strip('\n') + '\n'
assert '*** SUBJECT HERE ***' in text and '*** BLURB HERE ***' in text
text = text.replace('*** SUBJECT HERE ***', subject).replace('*** BLURB HERE ***\n', body)
open(path, 'w').write(text)
PY
rm -f "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch
cp "$tmp"/*.patch "$PATCHES/"
log "wrote $(ls "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch | wc -l) files to $PATCHES"
