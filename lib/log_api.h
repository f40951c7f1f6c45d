/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and writing pagemove event logs (include/pagemove/log_format.h).
 * Every error comes back as a message naming the file and what is wrong
 * with it; nothing here exits or prints.
 */
#ifndef PAGEMOVE_LOG_API_H
#define PAGEMOVE_LOG_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pagemove/hist_format.h"
#include "pagemove/log_format.h"

#define PM_ERR_LEN 256

struct pm_log_writer;
struct pm_log_reader;

/* One record as read: its header and a pointer to its payload. */
struct pm_rec {
	struct pm_rec_hdr hdr;
	const void *payload;	/* valid until the next pm_log_next() */
};

/* One stage slice, unpacked from (or to be packed into) PM_REC_SLICES. */
struct pm_slice {
	uint64_t end_ns;
	uint64_t dur_ns;
	uint64_t op_id;
	uint32_t pid;
	uint32_t tgid;
	uint32_t cpu;
	uint32_t pages;
	unsigned int stage;
};

/*
 * Create @path ("-" for stdout) and write the header.  @hooks says which
 * hook each stage uses.  NULL on error, with the reason in @err.
 */
struct pm_log_writer *pm_log_create(const char *path, const char *tool,
				    const char *kernel, const char *hooks,
				    uint64_t start_ns, char err[PM_ERR_LEN]);
/*
 * Write a record of a fixed-size type: PM_REC_HIST, PM_REC_COUNTER or
 * PM_REC_LABEL (slices: pm_log_slice(); kinds: pm_log_event()).  The
 * record is checked as a reader would (strings printable, histogram
 * consistent, no name twice) and refused otherwise.  A histogram with an
 * empty unit whose name ends in "_ns" gets the unit "ns".  0, or -1: the
 * first failure latches, later writes do nothing, pm_log_close() says why.
 */
int pm_log_write(struct pm_log_writer *w, enum pm_rec_type type, uint32_t cpu,
		 uint64_t ts_ns, const void *payload, size_t size);
/*
 * Declare stage numbers 0 .. @n - 1 with these names (PM_REC_DECLARE,
 * class PM_DECL_STAGE, unit "ns"); 0 or -1.
 */
int pm_log_name_stages(struct pm_log_writer *w, const char *const *names, unsigned int n);
/*
 * Declare record type @type (PM_REC_KIND_MIN .. PM_REC_KIND_MAX) as a kind
 * of class PM_DECL_EVENT or PM_DECL_SPAN named @name, with @nfields fields
 * (1 .. PM_MAX_FIELDS; a span's field 0 is its duration, unit "ns").
 * 0 or -1.
 */
int pm_log_declare(struct pm_log_writer *w, unsigned int type, enum pm_decl_class cls,
		   const char *name, const struct pm_field *fields, unsigned int nfields);
/* Name value @value of PM_FIELD_ENUM field @field of kind @type; 0 or -1. */
int pm_log_label(struct pm_log_writer *w, unsigned int type, unsigned int field,
		 uint64_t value, const char *name);
/*
 * Write one record of declared kind @type: its @n field values (n must be
 * the kind's nfields), at @ts_ns (a span: when it ended).  0 or -1.
 */
int pm_log_event(struct pm_log_writer *w, unsigned int type, uint32_t cpu, uint64_t ts_ns,
		 const uint64_t *values, unsigned int n);
/*
 * Add a slice.  Slices are written by column, PM_SLICES_MAX to a record;
 * any other record, and the close, write the pending ones first, so the
 * log stays in order.  0 or -1, as pm_log_write().
 */
int pm_log_slice(struct pm_log_writer *w, const struct pm_slice *s);
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
 * Next record: 1 and @rec filled, 0 after the end record, -1 on a damaged,
 * inconsistent or truncated log (see pm_log_error(): it names the file
 * offset).  Every record is checked whole before it is handed out (the
 * rules in log_format.h).  A version 2 log is handed out as version 3:
 * PM_REC_NAME as PM_REC_DECLARE of a stage, histograms with unit "ns",
 * counters with unit "".  Optional records of unknown types are skipped
 * and counted (pm_log_skipped()), never handed out.
 */
int pm_log_next(struct pm_log_reader *r, struct pm_rec *rec);
/*
 * pm_log_next() for consumers that want slices only as durations: each
 * slice is added to @hists[its stage] (PM_MAX_STAGES of them) and
 * PM_REC_SLICES records are not handed out.  From a file it reads only the
 * stage and duration columns: several times faster over a large log.
 */
int pm_log_next_hist(struct pm_log_reader *r, struct pm_rec *rec, struct pm_hist *hists);
/* The slices in a PM_REC_SLICES record that pm_log_next() returned. */
unsigned int pm_slices_count(const struct pm_rec *rec);
void pm_slices_get(const struct pm_rec *rec, unsigned int i, struct pm_slice *s);
/* The name of stage number @id, or NULL while no record has named it. */
const char *pm_log_stage_name(const struct pm_log_reader *r, unsigned int id);
/* A declared kind (record type @type), or NULL. */
struct pm_kind {
	struct pm_rec_declare decl;
	struct pm_field fields[PM_MAX_FIELDS];
};
const struct pm_kind *pm_log_kind(const struct pm_log_reader *r, unsigned int type);
/* The label of @value of field @field of kind @type, or NULL. */
const char *pm_log_label_name(const struct pm_log_reader *r, unsigned int type,
			      unsigned int field, uint64_t value);
/* Optional records of unknown types skipped so far. */
uint64_t pm_log_skipped(const struct pm_log_reader *r);
/* File offset of the record pm_log_next() last returned (for messages). */
uint64_t pm_log_offset(const struct pm_log_reader *r);
/*
 * Is @s (a field of @len bytes) a string the log format allows: NUL-
 * terminated, zero after the NUL, printable ASCII before, and not empty
 * unless @may_be_empty?
 */
bool pm_log_str_ok(const char *s, size_t len, bool may_be_empty);
/* Records read so far, the end record not counted. */
uint64_t pm_log_records(const struct pm_log_reader *r);
/* Lost events from the end record (valid once pm_log_next() returned 0). */
uint64_t pm_log_lost(const struct pm_log_reader *r);
const char *pm_log_error(const struct pm_log_reader *r);
void pm_log_free(struct pm_log_reader *r);

/* Payload size a fixed-size record type must have (version 3); 0 for any other type. */
size_t pm_rec_size(enum pm_rec_type type);

#endif /* PAGEMOVE_LOG_API_H */
