// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the event-log reader (lib/log.c): never a crash,
 * and a stage record the reader hands out always has its name and its
 * operation (what pagemove indexes by without checking again).
 */
#include <stddef.h>
#include <stdint.h>

#include "../../lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PM_ERR_LEN];
	struct pm_log_reader *r = pm_log_open_mem(data, size, err);
	struct pm_rec rec;

	if (!r)
		return 0;
	while (pm_log_next(r, &rec) > 0) {
		const struct pm_rec_stage *st = rec.payload;

		if (rec.hdr.type == PM_REC_STAGE &&
		    (!pm_log_op(r) || !pm_log_stage_name(r, st->stage)))
			__builtin_trap();
	}
	pm_log_free(r);
	return 0;
}
