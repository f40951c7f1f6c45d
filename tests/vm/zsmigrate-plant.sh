#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bugs planted in zsmigrate itself, to see tests/vm/zsmigrate.sh fail.
#   host:  bash tests/vm/zsmigrate-plant.sh build   (build/plant/N/zsmigrate)
#   guest: bash tests/vm/zsmigrate-plant.sh run     (each variant on a clean
#          kernel: the test must FAIL, on the line named here)
# N (bpf/zsmigrate.bpf.c ZM_PLANT): 1 handle_old_page fires on the new page,
# 2 objs_moved expects one more, 3 slot_words takes every link for garbage,
# 4 freeobj_range bound 0, 5 stale_mapping off by a page, 6 moved_under_reader
# off by one, 7 header_backptr without the tag, 8 lost_write off by one,
# 9 objects moved miscounted, 10 stale_mapping never counts its runs,
# 11 freeobj_walk reports every walk, 12 the ksyms of the memory layout
# ignored (the fixed 4-level bases stand in on a kernel that has the symbols:
# every check must say "not checked", never "violations 0").
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
declare -A WANT=(
	[1]="check handle_old_page violations" [2]="check objs_moved violations|check objs_moved ran"
	[3]="check slot_words violations" [4]="check freeobj_range violations"
	[5]="check stale_mapping violations" [6]="check moved_under_reader violations"
	[7]="check header_backptr violations" [8]="check lost_write violations"
	[9]="objs_moved = " [10]="check stale_mapping ran"
	[11]="check freeobj_walk violations"
	[12]="check handle_old_page: not checked on this kernel \(memory layout unknown"
)
case ${1:-} in
build)
	cd "$top" || exit 1
	make -s bpf tools >/dev/null || exit 1
	for n in "${!WANT[@]}"; do
		d=build/plant/$n
		mkdir -p $d
		clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Wno-missing-declarations \
			-Ibuild/bpf -Iinclude -DZM_PLANT=$n -c bpf/zsmigrate.bpf.c -o $d/zsmigrate.bpf.o &&
		bpftool gen skeleton $d/zsmigrate.bpf.o name zsmigrate_bpf >$d/zsmigrate.skel.h &&
		cc -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I$d -Iinclude -Ibuild/bpf -Ilib \
			tools/zsmigrate.c tools/tracer.c tools/toolutil.c lib/*.c -o $d/zsmigrate \
			-lbpf -lelf -lz -lm || exit 1
	done
	echo "built build/plant/{$(echo "${!WANT[@]}" | tr ' ' ,)}/zsmigrate"
	;;
run)
	failed=0
	. "$top/tests/vm/lib.sh"
	for n in $(echo "${!WANT[@]}" | tr ' ' '\n' | sort -n); do
		o=$(ZSMIGRATE=$top/build/plant/$n/zsmigrate ZSM_TAG=plant$n \
			bash "$top/tests/vm/zsmigrate.sh" 2>&1)
		plant_caught "planted bug $n" $? "$o" "${WANT[$n]}"
	done
	echo "zsmigrate-plant: $failed failed"
	exit $failed
	;;
*) echo "usage: $0 build|run" >&2; exit 2 ;;
esac
