#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make tree: unpack the pinned v7.3-rc7 source into a git repository whose
# base commit ID is the same on every machine, and check it against
# patches/BASE.  --record writes patches/BASE instead of checking it.
STEP=tree
. "$(dirname "$0")/lib.sh"

record=0
[ "${1:-}" = --record ] && record=1

base_ok() {
	local want
	want=$(base_field commit)
	[ -d "$STOCK_SRC/.git" ] || return 1
	[ "$(git -C "$STOCK_SRC" rev-parse -q --verify 'refs/tags/pagemove-base^{commit}' 2>/dev/null)" = "$want" ]
}

if [ $record = 0 ] && base_ok; then
	# Keep the stock tree at the base: a stray edit would make "stock" lie.
	git -C "$STOCK_SRC" checkout -q --detach pagemove-base
	[ -z "$(git -C "$STOCK_SRC" status --porcelain --untracked-files=no)" ] ||
		die "$STOCK_SRC has local changes; run 'make distclean-tree' to start over"
	log "base $(base_field commit) present in $STOCK_SRC"
	exit 0
fi

deb=$(fetch_deb "$KPKG" "$KPKG_VERSION" "$KPKG_DEB" "$KPKG_SHA256")
log "verified $deb"

rm -rf "$STOCK_SRC" "$PATCHED_SRC" "$STOCK_SRC.tmp"
mkdir -p "$STOCK_SRC.tmp"
log "unpacking $KPKG_DEB"
dpkg-deb --fsys-tarfile "$deb" |
	tar -xO ./usr/src/linux-source-7.3.tar.xz |
	tar -xJ -C "$STOCK_SRC.tmp" --strip-components=1 ||
	die "cannot unpack $deb"
[ -f "$STOCK_SRC.tmp/Makefile" ] || die "unpacked tree has no Makefile"

log "committing the base (git add -f: Debian's .gitignore ignores /*)"
export GIT_AUTHOR_NAME=$BASE_IDENT_NAME GIT_AUTHOR_EMAIL=$BASE_IDENT_EMAIL \
	GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_NAME=$BASE_IDENT_NAME \
	GIT_COMMITTER_EMAIL=$BASE_IDENT_EMAIL GIT_COMMITTER_DATE=$BASE_DATE
g() { git -C "$STOCK_SRC.tmp" -c core.autocrlf=false -c core.fileMode=true -c gc.auto=0 "$@"; }
g init -q -b base
g config gc.auto 0
g config core.autocrlf false
g add -f -A
g commit -q --no-verify -m "Linux 7.3-rc7 ($KPKG $KPKG_VERSION)" \
	-m "Unpacked from Debian's $KPKG_DEB, SHA256 $KPKG_SHA256."
g tag pagemove-base
g checkout -q --detach pagemove-base
id=$(g rev-parse HEAD)
mv "$STOCK_SRC.tmp" "$STOCK_SRC"

if [ $record = 1 ]; then
	{
		echo "# Pinned base of the pagemove series (written by ci/tree.sh --record)."
		echo "version=$(make -s -C "$STOCK_SRC" kernelversion)"
		echo "package=$KPKG $KPKG_VERSION"
		echo "deb=$KPKG_DEB"
		echo "sha256=$KPKG_SHA256"
		echo "commit=$id"
	} >"$PATCHES/BASE"
	log "recorded base $id in patches/BASE"
elif [ "$id" != "$(base_field commit)" ]; then
	die "base commit $id does not match patches/BASE commit=$(base_field commit)"
fi
log "base $id ready in $STOCK_SRC"
