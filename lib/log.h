/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and writing pagemove event logs (include/pagemove/log.h).
 * Every error comes back as a message naming the file and what is wrong
 * with it; nothing here exits or prints.
 */
#ifndef PAGEMOVE_LIB_LOG_H
#define PAGEMOVE_LIB_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pagemove/hist.h"
#include "pagemove/log.h"

#define PM_ERR_LEN 256

struct pm_log_writer;
struct pm_log_reader;

/* One record as read: its header and a pointer to its payload. */
struct pm_rec {
	struct pm_rec_hdr hdr;
	const void *payload;	/* valid until the next pm_log_next() */
};

/*
 * Create @path ("-" for stdout) and write the header.  @hooks says which
 * hook each stage uses.  NULL on error, with the reason in @err.
 */
struct pm_log_writer *pm_log_create(const char *path, const char *tool,
				    const char *kernel, const char *hooks,
				    uint64_t start_ns, char err[PM_ERR_LEN]);
/* 0, or -1: the first failure latches, later writes do nothing. */
int pm_log_write(struct pm_log_writer *w, enum pm_rec_type type, uint32_t cpu,
		 uint64_t ts_ns, const void *payload, size_t size);
/* Name stage numbers 0 .. @n - 1 (PM_REC_NAME records); 0 or -1. */
int pm_log_name_stages(struct pm_log_writer *w, const char *const *names, unsigned int n);
/*
 * Write the end record with @lost_events and, if the file is seekable,
 * mark the header complete.  Frees @w.  0 or -1 with @err set.
 */
int pm_log_close(struct pm_log_writer *w, uint64_t lost_events, char err[PM_ERR_LEN]);

/* Open @path ("-" for stdin; files and pipes alike) and check its header. */
struct pm_log_reader *pm_log_open(const char *path, char err[PM_ERR_LEN]);
/* Open an in-memory log (fuzzing, tests). */
struct pm_log_reader *pm_log_open_mem(const void *buf, size_t len, char err[PM_ERR_LEN]);
const struct pm_log_header *pm_log_header(const struct pm_log_reader *r);
/*
 * Next record: 1 and @rec filled, 0 after the end record, -1 on a damaged
 * or truncated log (see pm_log_error()).
 */
int pm_log_next(struct pm_log_reader *r, struct pm_rec *rec);
/*
 * pm_log_next() for consumers that want stage records only as durations:
 * each one is added to @hists[stage number] (PM_MAX_STAGES of them) instead
 * of being returned.  Several times faster over a large log.
 */
int pm_log_next_hist(struct pm_log_reader *r, struct pm_rec *rec, struct pm_hist *hists);
/*
 * The operation (thread, id) the stage records since the last PM_REC_OP
 * belong to; NULL before the first.  Valid until the next pm_log_next().
 */
const struct pm_rec_op *pm_log_op(const struct pm_log_reader *r);
/* The name of stage number @id, or NULL while no record has named it. */
const char *pm_log_stage_name(const struct pm_log_reader *r, unsigned int id);
/* Records read so far, the end record not counted. */
uint64_t pm_log_records(const struct pm_log_reader *r);
/* Lost events from the end record (valid once pm_log_next() returned 0). */
uint64_t pm_log_lost(const struct pm_log_reader *r);
const char *pm_log_error(const struct pm_log_reader *r);
void pm_log_free(struct pm_log_reader *r);

/* Payload size a record type must have; 0 for an unknown type. */
size_t pm_rec_size(enum pm_rec_type type);

#endif /* PAGEMOVE_LIB_LOG_H */
