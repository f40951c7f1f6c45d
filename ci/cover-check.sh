#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The cover letter is ready to send: "[PATCH vN 0/M]" with M the number of
# patches and N the series' version, each patch "[PATCH vN k/M]" in order,
# a "Changes since v(N-1)" section, a base-commit line equal to patches/BASE,
# and To/Cc holding everyone scripts/get_maintainer.pl names for the series
# now (maintainers in To, reviewers and lists in To or Cc).
STEP=cover-check
. "$(dirname "$0")/lib.sh"
set +e

cover=$PATCHES/0000-cover-letter.patch
[ -f "$cover" ] || die "no $cover"
mapfile -t patches < <(series_patches)
m=${#patches[@]}
[ "$m" -gt 0 ] || die "no patches in $PATCHES"
v=$SERIES_VERSION
bad=0
err() { echo "cover letter: $*" >&2; bad=1; }

hdr() {	# hdr FILE: the mail header, continuation lines joined
	sed -n '1,/^$/p' "$1" | sed -e ':a' -e '$!N;s/\n[[:space:]]\+/ /;ta' -e 'P;D'
}
grep -q "^Subject: \[PATCH v$v 0/$m\] " <(hdr "$cover") ||
	err "subject is not [PATCH v$v 0/$m]: $(hdr "$cover" | grep '^Subject:')"
k=0
for p in "${patches[@]}"; do
	k=$((k + 1))
	grep -q "^Subject: \[PATCH v$v $k/$m\] " <(hdr "$p") ||
		err "$(basename "$p"): subject is not [PATCH v$v $k/$m]"
done
[ "$v" -le 1 ] || grep -qi "^changes since v$((v - 1))" "$cover" ||
	err "no 'Changes since v$((v - 1))' section"
base=$(base_field commit)
grep -q "^base-commit: $base$" "$cover" || err "no 'base-commit: $base' line"

cp=$PATCHED_SRC/scripts/get_maintainer.pl
[ -f "$cp" ] || die "no $cp: run 'make series' first"
addr=$(hdr "$cover" | sed -n 's/^\(To\|Cc\): //p')
n=0
while IFS= read -r who; do
	n=$((n + 1))
	mail=$(sed -n 's/.*<\(.*\)>.*/\1/p' <<<"$who")
	mail=${mail:-$who}
	grep -qiF "$mail" <<<"$addr" || err "get_maintainer.pl names $who; not in To/Cc"
done < <(cd "$PATCHED_SRC" && PATH=/usr/bin:$PATH perl scripts/get_maintainer.pl --no-git \
	--no-git-fallback --no-rolestats "${patches[@]}")
[ "$n" -gt 0 ] || err "get_maintainer.pl named nobody"
echo "cover letter: [PATCH v$v 0/$m], $n recipients from get_maintainer.pl checked"
exit $bad
