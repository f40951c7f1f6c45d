#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bugs planted in zsstress's --zswap path, to see tests/vm/zsstress.sh's
# zswap mode fail.
#   host:  bash tests/vm/zsstress-plant.sh build   (build/plant-zs/N/zsstress)
#   guest: bash tests/vm/zsstress-plant.sh run     (each variant, zswap mode:
#          the test must FAIL, on the line named here)
# N (tools/zsstress.c ZS_PLANT): 1 no page is swapped out, 2 zswap being
# off is not refused.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
declare -A WANT=(
	[1]="zswap: pages stored by zswap"
	[2]="zswap: zsstress --zswap with zswap off"
)
case ${1:-} in
build)
	cd "$top" || exit 1
	for n in "${!WANT[@]}"; do
		d=build/plant-zs/$n
		mkdir -p "$d"
		cc -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -DZS_PLANT=$n -Iinclude -Ilib \
			tools/zsstress.c tools/toolutil.c lib/*.c -o $d/zsstress -lbpf -lelf -lz -lm || exit 1
	done
	echo "built build/plant-zs/{$(echo "${!WANT[@]}" | tr ' ' ,)}/zsstress"
	;;
run)
	failed=0
	. "$top/tests/vm/lib.sh"
	for n in $(echo "${!WANT[@]}" | tr ' ' '\n' | sort -n); do
		d=${PAGEMOVE_OUT:-/tmp}/plant-zs$n
		mkdir -p "$d"
		o=$(ZSSTRESS=$top/build/plant-zs/$n/zsstress PAGEMOVE_OUT=$d \
			bash "$top/tests/vm/zsstress.sh" zswap 2>&1)
		plant_caught "planted zsstress bug $n" $? "$o" "${WANT[$n]}"
	done
	echo "zsstress-plant: $failed failed"
	exit $((failed > 0))
	;;
*)
	echo "usage: tests/vm/zsstress-plant.sh build|run" >&2
	exit 2
	;;
esac
