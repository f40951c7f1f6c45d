// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the event-log reader (lib/log.c): never a crash;
 * every slice the reader hands out has a named stage (pagemove indexes by
 * it without checking again); and the fast histogram path agrees with the
 * record-by-record one on the outcome, the records and every histogram.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/hist_api.h"
#include "../../lib/log_api.h"

static struct pm_hist slow[PM_MAX_STAGES], fast[PM_MAX_STAGES];

/* Read the whole log; the outcome of the last call. */
static int read_log(const uint8_t *data, size_t size, struct pm_hist *hists, int use_fast,
		    uint64_t *records)
{
	char err[PM_ERR_LEN];
	struct pm_log_reader *r = pm_log_open_mem(data, size, err);
	struct pm_rec rec;
	struct pm_slice sl;
	unsigned int i;
	int rc;

	if (!r)
		return -2;
	while ((rc = use_fast ? pm_log_next_hist(r, &rec, hists) : pm_log_next(r, &rec)) > 0) {
		if (rec.hdr.type != PM_REC_SLICES)
			continue;
		for (i = 0; i < pm_slices_count(&rec); i++) {
			pm_slices_get(&rec, i, &sl);
			if (!pm_log_stage_name(r, sl.stage))
				__builtin_trap();
			pm_hist_add(&hists[sl.stage], sl.dur_ns);
		}
	}
	*records = pm_log_records(r);
	pm_log_free(r);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t n_slow, n_fast;
	int rc;

	memset(slow, 0, sizeof(slow));
	memset(fast, 0, sizeof(fast));
	rc = read_log(data, size, slow, 0, &n_slow);
	if (rc == -2)
		return 0;
	if (read_log(data, size, fast, 1, &n_fast) != rc || n_fast != n_slow ||
	    memcmp(slow, fast, sizeof(slow)))
		__builtin_trap();
	return 0;
}
