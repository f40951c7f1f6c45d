// SPDX-License-Identifier: GPL-2.0
/*
 * Write small valid logs through the C writer as fuzz seeds: one with a
 * record of each type (stages, slices, histograms with units, counters,
 * a declared event kind with an enum field and its labels, a span kind).
 */
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
	struct pm_rec_hist h = { .name = "collect_ns" }, o = { .name = "objects", .unit = "objects" };
	struct pm_field ev[3] = { { .name = "outcome", .flags = PM_FIELD_ENUM },
				  { .name = "objects", .unit = "objects" },
				  { .name = "handle", .flags = PM_FIELD_ID } };
	struct pm_field sp[2] = { { .name = "dur", .unit = "ns" }, { .name = "pfns", .unit = "pages" } };
	uint64_t v1[3] = { 0, 12, 0xffff1234 }, v2[3] = { 1, 0, 0xffff5678 }, s1[2] = { 7, 256 };
	char err[PM_ERR_LEN], path[512];
	struct pm_log_writer *w;

	if (argc != 2)
		return 2;
	pm_hist_add(&h.hist, 10);
	pm_hist_add(&h.hist, 12345);
	pm_hist_add(&o.hist, 12);
	snprintf(path, sizeof(path), "%s/seed.log", argv[1]);
	w = pm_log_create(path, "seed", "7.3.0", "a=b", 1, err);
	if (!w || pm_log_name_stages(w, names, 2) ||
	    pm_log_declare(w, 0x100, PM_DECL_EVENT, "migrate_outcome", ev, 3) ||
	    pm_log_label(w, 0x100, 0, 0, "success") || pm_log_label(w, 0x100, 0, 1, "busy") ||
	    pm_log_declare(w, 0x101, PM_DECL_SPAN, "request", sp, 2) ||
	    pm_log_slice(w, &a) || pm_log_slice(w, &b) ||
	    pm_log_event(w, 0x100, 0, 26, v1, 3) || pm_log_event(w, 0x100, 1, 27, v2, 3) ||
	    pm_log_event(w, 0x101, 1, 28, s1, 2) ||
	    pm_log_write(w, PM_REC_COUNTER, 1, 30, &c, sizeof(c)) ||
	    pm_log_write(w, PM_REC_HIST, 1, 40, &h, sizeof(h)) ||
	    pm_log_write(w, PM_REC_HIST, 1, 40, &o, sizeof(o)) || pm_log_close(w, 0, err)) {
		fprintf(stderr, "mkseed: %s\n", w ? err : err);
		return 1;
	}
	return 0;
}
