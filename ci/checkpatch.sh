#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch --strict on every patch of the series: no ERROR, no WARNING,
# and every CHECK that remains is named (its message quoted) in that patch's
# commit message.  checkpatch exits non-zero for CHECKs too, so its status
# says nothing here: each patch must instead end with checkpatch's own
# "total:" line, or the run counts as failed (a missing checkpatch.pl, a
# crash, a perl error).  Fails with no patches at all.
STEP=checkpatch
. "$(dirname "$0")/lib.sh"
set +e

cp=$PATCHED_SRC/scripts/checkpatch.pl
[ -f "$cp" ] || die "no $cp: run 'make series' first"
n=0 bad=0
while IFS= read -r p; do
	n=$((n + 1))
	# From the tree's top (checkpatch misreads patches otherwise), with
	# Debian's python3 for spdxcheck.py (python3-ply, python3-git).
	out=$(cd "$PATCHED_SRC" && PATH=/usr/bin:$PATH perl ./scripts/checkpatch.pl --strict "$p" </dev/null 2>&1)
	total=$(grep '^total:' <<<"$out" | tail -n 1)
	if [ -z "$total" ]; then
		echo "$(basename "$p"): checkpatch gave no 'total:' line (did not run to the end):" >&2
		tail -n 5 <<<"$out" >&2
		bad=1
		continue
	fi
	why=$(sed -n '1,/^---$/p' "$p" | tr -s ' \n' '  ')
	if grep -qE '^(ERROR|WARNING):' <<<"$out"; then
		grep -E -A3 '^(ERROR|WARNING):' <<<"$out" >&2
		bad=1
	fi
	while IFS= read -r msg; do
		if ! grep -qF -- "$msg" <<<"$why"; then
			echo "$(basename "$p"): CHECK not justified in the commit message: $msg" >&2
			bad=1
		fi
	done < <(sed -n 's/^CHECK: //p' <<<"$out" | sort -u)
	echo "$(basename "$p"): $total"
done < <(series_patches)
echo "checkpatch --strict: $n patches"
[ "$n" -gt 0 ] || die "no patches in $PATCHES"
exit $bad
