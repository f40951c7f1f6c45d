/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pagemove event log, version 2: written by the tracers (tools/),
 * read by the analysis CLI (analysis/), one implementation of each side in
 * lib/log.c.  Little-endian, fixed-width fields, no padding holes; every
 * record is a multiple of 8 bytes, so records stay 8-byte aligned.
 *
 *   struct pm_log_header                    (PM_LOG_HEADER_SIZE bytes)
 *   { struct pm_rec_hdr; payload }...        (records, in time order)
 *   { struct pm_rec_hdr; struct pm_rec_end } (last: the log is complete)
 *
 * Stage slices are the bulk of a log, so they are stored by column in
 * PM_REC_SLICES records of up to PM_SLICES_MAX: a reader that wants only
 * durations (pagemove report) reads 9 of every 41 bytes, and a stage is a
 * number that a PM_REC_NAME record named earlier.  Version 1 wrote one
 * 80-byte record per slice, its stage name, thread and operation included.
 *
 * Reserved fields are written as zero and a reader rejects anything else,
 * so that a later version can give them a meaning.  Plain C types, as
 * in the other headers here.
 */
#ifndef PAGEMOVE_LOG_FORMAT_H
#define PAGEMOVE_LOG_FORMAT_H

#include "pagemove/hist_format.h"

#define PM_LOG_MAGIC		"PMVLOG\r\n"	/* \r\n: catches text-mode damage */
#define PM_LOG_VERSION		2
#define PM_LOG_HEADER_SIZE	256

#define PM_CLOCK_MONOTONIC	1	/* bpf_ktime_get_ns(), CLOCK_MONOTONIC */

#define PM_LOG_COMPLETE		(1U << 0)	/* header rewritten at close */

struct pm_log_header {
	char magic[8];
	unsigned int version;
	unsigned int header_size;
	char tool[32];			/* producer, NUL-terminated */
	char kernel[72];		/* uname -r of the traced kernel */
	unsigned int clock;		/* PM_CLOCK_* of every ts_ns */
	unsigned int flags;		/* PM_LOG_* */
	unsigned long long start_ns;	/* clock when recording started */
	unsigned long long lost_events;	/* final value if PM_LOG_COMPLETE */
	char hooks[112];		/* "stage=hook ...", NUL-terminated */
};

enum pm_rec_type {
	PM_REC_SLICES = 1,	/* struct pm_rec_slices + columns: stage slices */
	PM_REC_HIST = 2,	/* struct pm_rec_hist: a named histogram */
	PM_REC_COUNTER = 3,	/* struct pm_rec_counter: a named count */
	PM_REC_END = 4,		/* struct pm_rec_end: last record */
	PM_REC_NAME = 5,	/* struct pm_rec_name: names a stage number */
};

struct pm_rec_hdr {
	unsigned short type;		/* enum pm_rec_type */
	unsigned short size;		/* payload bytes that follow */
	unsigned int cpu;		/* slices: those of the last one */
	unsigned long long ts_ns;	/* when the record's event ended */
};

#define PM_NAME_LEN	32
#define PM_MAX_STAGES	64	/* stage numbers are 0 .. PM_MAX_STAGES - 1 */

/* Names stage number @id, once, before any slice uses it. */
struct pm_rec_name {
	unsigned int id;
	unsigned int reserved;
	char name[PM_NAME_LEN];		/* NUL-terminated */
};

#define PM_SLICES_MAX	1024

/*
 * @n stage slices (1 .. PM_SLICES_MAX), each a span [end - dur, end] of one
 * stage of operation op_id on thread pid, followed by these columns of @n
 * values, in this order, each padded with zero bytes to a multiple of 8:
 *
 *   unsigned char       stage[n];    named by PM_REC_NAME records
 *   unsigned long long  dur_ns[n];
 *   unsigned long long  end_ns[n];
 *   unsigned long long  op_id[n];
 *   unsigned int        pid[n];      thread id
 *   unsigned int        tgid[n];
 *   unsigned int        cpu[n];
 *   unsigned int        pages[n];    pages the stage handled
 */
struct pm_rec_slices {
	unsigned int n;
	unsigned int reserved;
};

#define PM_ALIGN8(x)	(((x) + 7U) & ~7U)

/* Payload bytes of a PM_REC_SLICES record of @n slices. */
static inline unsigned int pm_slices_size(unsigned int n)
{
	return (unsigned int)sizeof(struct pm_rec_slices) + PM_ALIGN8(n) + 3 * 8 * n +
	       4 * PM_ALIGN8(4 * n);
}

struct pm_rec_hist {
	char name[PM_NAME_LEN];		/* e.g. "collect_ns" */
	struct pm_hist hist;
};

struct pm_rec_counter {
	char name[PM_NAME_LEN];		/* e.g. "skip.pinned" */
	unsigned long long value;
	unsigned int available;		/* 0: this kernel cannot count it */
	unsigned int pad;
};

struct pm_rec_end {
	unsigned long long lost_events;
	unsigned long long nr_records;	/* before this one */
};

#endif /* PAGEMOVE_LOG_FORMAT_H */
