// SPDX-License-Identifier: GPL-2.0
/* Write a small valid log per record type as the fuzzer's seed corpus. */
#include <stdio.h>
#include <string.h>

#include "../../lib/hist_api.h"
#include "../../lib/log_api.h"

int main(int argc, char **argv)
{
	static const char *const names[] = { "collect", "unmap" };
	struct pm_slice a = { .end_ns = 20, .dur_ns = 10, .op_id = 1, .pid = 2, .tgid = 2,
			      .pages = 1 };
	struct pm_slice b = { .end_ns = 25, .dur_ns = 5, .op_id = 1, .pid = 2, .tgid = 2,
			      .pages = 1, .stage = 1 };
	struct pm_rec_counter c = { .name = "skip.hole", .value = 5, .available = 1 };
	struct pm_rec_hist h = { .name = "pages_ns" };
	char err[PM_ERR_LEN], path[512];
	struct pm_log_writer *w;

	if (argc != 2)
		return 2;
	pm_hist_add(&h.hist, 12345);
	snprintf(path, sizeof(path), "%s/seed.log", argv[1]);
	w = pm_log_create(path, "seed", "7.3.0", "a=b", 1, err);
	if (!w || pm_log_name_stages(w, names, 2) ||
	    pm_log_slice(w, &a) || pm_log_slice(w, &b) ||
	    pm_log_write(w, PM_REC_COUNTER, 1, 30, &c, sizeof(c)) ||
	    pm_log_write(w, PM_REC_HIST, 1, 40, &h, sizeof(h)) || pm_log_close(w, 0, err)) {
		fprintf(stderr, "mkseed: %s\n", err);
		return 1;
	}
	return 0;
}
