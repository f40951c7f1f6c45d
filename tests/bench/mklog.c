// SPDX-License-Identifier: GPL-2.0
/*
 * Write a synthetic event log of N stage slices for `make bench`: shaped
 * like migratevma's (operations of six stages).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/log_api.h"

int main(int argc, char **argv)
{
	static const char *const names[] = { "collect", "unmap", "copy", "pages", "map", "finalize" };
	struct pm_slice sl = { .pages = 512, .pid = 1, .tgid = 1 };
	char err[PM_ERR_LEN];
	struct pm_log_writer *w;
	unsigned long long n, i, s = 88172645463325252ULL, ts = 0;

	if (argc != 3 || !(n = strtoull(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: mklog FILE SLICES\n");
		return 2;
	}
	w = pm_log_create(argv[1], "mklog", "synthetic", "stages=none", 0, err);
	if (!w) {
		fprintf(stderr, "mklog: %s\n", err);
		return 1;
	}
	pm_log_name_stages(w, names, 6);
	for (i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		sl.op_id = i / 6;
		sl.cpu = (unsigned int)(i / 6 & 1);
		sl.stage = (unsigned int)(i % 6);
		sl.dur_ns = 1000 + s % 2000000;
		ts += sl.dur_ns;
		sl.end_ns = ts;
		if (pm_log_slice(w, &sl))
			break;
	}
	if (pm_log_close(w, 0, err)) {
		fprintf(stderr, "mklog: %s\n", err);
		return 1;
	}
	return 0;
}
