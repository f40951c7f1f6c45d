// SPDX-License-Identifier: GPL-2.0
/*
 * Write a synthetic event log of N stage records for `make bench`: shaped
 * like migratevma's (an operation record, then its six stages).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/log.h"

int main(int argc, char **argv)
{
	static const char *const names[] = { "collect", "unmap", "copy", "pages", "map", "finalize" };
	struct pm_rec_stage st = { .pages = 512 };
	struct pm_rec_op op = { .pid = 1, .tgid = 1 };
	char err[PM_ERR_LEN];
	struct pm_log_writer *w;
	unsigned long long n, i, s = 88172645463325252ULL, ts = 0;

	if (argc != 3 || !(n = strtoull(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: mklog FILE RECORDS\n");
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
		if (i % 6 == 0) {
			op.op_id = i / 6;
			pm_log_write(w, PM_REC_OP, (unsigned int)(i & 1), ts, &op, sizeof(op));
		}
		st.stage = (unsigned short)(i % 6);
		st.dur_ns = 1000 + s % 2000000;
		ts += st.dur_ns;
		if (pm_log_write(w, PM_REC_STAGE, (unsigned int)(i & 1), ts, &st, sizeof(st)))
			break;
	}
	if (pm_log_close(w, 0, err)) {
		fprintf(stderr, "mklog: %s\n", err);
		return 1;
	}
	return 0;
}
