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
 * Stage records are the bulk of a log, so they are small (32 bytes with
 * their header): a stage is a number that a PM_REC_NAME record named
 * earlier, and what the stages of one operation share (thread, operation
 * id) is said once, in the PM_REC_OP record before them (version 1 put
 * all of that in every stage record, 80 bytes each).
 *
 * Reserved fields are written as zero and a reader rejects anything else,
 * so that a later version can give them a meaning.  Plain C types only:
 * the BPF programs include this header too.
 */
#ifndef PAGEMOVE_LOG_H
#define PAGEMOVE_LOG_H

#include "pagemove/hist.h"

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
	PM_REC_STAGE = 1,	/* struct pm_rec_stage: one timed stage */
	PM_REC_HIST = 2,	/* struct pm_rec_hist: a named histogram */
	PM_REC_COUNTER = 3,	/* struct pm_rec_counter: a named count */
	PM_REC_END = 4,		/* struct pm_rec_end: last record */
	PM_REC_NAME = 5,	/* struct pm_rec_name: names a stage number */
	PM_REC_OP = 6,		/* struct pm_rec_op: whose the next stages are */
};

struct pm_rec_hdr {
	unsigned short type;		/* enum pm_rec_type */
	unsigned short size;		/* payload bytes that follow */
	unsigned int cpu;
	unsigned long long ts_ns;	/* when the record's event ended */
};

#define PM_NAME_LEN	32
#define PM_MAX_STAGES	64	/* stage numbers are 0 .. PM_MAX_STAGES - 1 */

/* Names stage number @id, once, before any stage record uses it. */
struct pm_rec_name {
	unsigned int id;
	unsigned int reserved;
	char name[PM_NAME_LEN];		/* NUL-terminated */
};

/* The operation the stage records that follow belong to. */
struct pm_rec_op {
	unsigned long long op_id;
	unsigned int pid;		/* thread id */
	unsigned int tgid;
};

/*
 * A stage of the current operation: a slice [ts_ns - dur_ns, ts_ns] on
 * its thread's timeline.
 */
struct pm_rec_stage {
	unsigned long long dur_ns;
	unsigned int pages;		/* pages the stage handled */
	unsigned short stage;		/* named by a PM_REC_NAME record */
	unsigned short reserved;
};

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

#endif /* PAGEMOVE_LOG_H */
