/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pagemove event log, version 1: written by the tracers (tools/),
 * read by the analysis CLI (analysis/), one implementation of each side in
 * lib/log.c.  Little-endian, fixed-width fields, no padding holes.
 *
 *   struct pm_log_header                    (PM_LOG_HEADER_SIZE bytes)
 *   { struct pm_rec_hdr; payload }...        (records, in time order)
 *   { struct pm_rec_hdr; struct pm_rec_end } (last: the log is complete)
 *
 * Record payloads are also what the BPF programs put in their ring
 * buffers, so this header uses plain C types only.
 */
#ifndef PAGEMOVE_LOG_H
#define PAGEMOVE_LOG_H

#include "pagemove/hist.h"

#define PM_LOG_MAGIC		"PMVLOG\r\n"	/* \r\n: catches text-mode damage */
#define PM_LOG_VERSION		1
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
};

struct pm_rec_hdr {
	unsigned short type;		/* enum pm_rec_type */
	unsigned short size;		/* payload bytes that follow */
	unsigned int cpu;
	unsigned long long ts_ns;	/* when the record's event ended */
};

#define PM_NAME_LEN	32

/* A stage of one operation (op_id) of a thread: a slice on a timeline. */
struct pm_rec_stage {
	unsigned long long op_id;
	unsigned long long dur_ns;	/* the slice is [ts_ns - dur_ns, ts_ns] */
	unsigned int pid;		/* thread id */
	unsigned int tgid;
	char stage[PM_NAME_LEN];
	unsigned long long pages;	/* pages the stage handled */
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
