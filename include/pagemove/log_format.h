/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pagemove event log, version 3: written by the tracers (tools/),
 * read by the analysis CLI (analysis/), one implementation of each side in
 * lib/log.c (API: lib/log_api.h).  This comment is the specification; the
 * independent reader in tests/analysis/pmlog.py is written from it.
 *
 * Little-endian, fixed-width fields, no padding holes; every record is a
 * multiple of 8 bytes, so records stay 8-byte aligned.
 *
 *   struct pm_log_header                    (PM_LOG_HEADER_SIZE bytes)
 *   { struct pm_rec_hdr; payload }...        (records)
 *   { struct pm_rec_hdr; struct pm_rec_end } (last: the log is complete)
 *
 * Every record is length-prefixed (pm_rec_hdr.size), so a reader can step
 * over one it does not understand.  Record types:
 *
 *   1 .. 0xff          built-in (enum pm_rec_type); a reader refuses one it
 *                      does not know: a bit flip must not pass for "new".
 *   0x100 .. 0x7fff    declared kinds: a PM_REC_DECLARE record gave the type
 *                      its name, class (event or span) and fields earlier in
 *                      the log; the payload is one u64 per field.  Any
 *                      tracer adds kinds without a format change (zsmigrate's
 *                      per-migration outcomes and race reports, balloonlat's
 *                      per-request and host-side spans).
 *   0x8000 .. 0xffff   optional: a later writer's records that a reader may
 *                      skip.  A reader skips those it does not know and says
 *                      how many it skipped.
 *
 * What a consumer needs is declared in the log, never compiled in: the
 * header (producer tool, kernel release, hooks used, clock, start time,
 * lost events), PM_REC_DECLARE records (stage names and the unit of their
 * durations; each event/span kind with its fields' names, units, flags),
 * PM_REC_LABEL records (the name of each value of an enumerated field),
 * and the name and unit inside every histogram and counter record.
 *
 * Strings: every string field (header and records) is NUL-terminated, all
 * its bytes after the NUL are zero, and the bytes before it are printable
 * ASCII (0x20 .. 0x7e).  Names and units are not empty, except a unit
 * ("" = a plain count) and the header's hooks.  A reader refuses anything
 * else; a writer refuses to write it.
 *
 * Consistency a reader checks (and refuses, with the file offset):
 *  - a histogram's count is the sum of its slots (without overflow); an
 *    empty one has sum and max 0; max falls in the highest non-empty slot;
 *    sum lies between the sums of the slots' lower and upper bounds;
 *  - a slice's stage, a record's kind, a label's field were declared
 *    before; nothing is declared twice (a stage number or name, a kind, a
 *    histogram name, a counter name, a label); no record time (ts_ns) is
 *    before the header's start_ns (the end record's ts_ns is 0); the
 *    durations of one stage do not overflow their u64 sum; a span's
 *    duration is not longer than its ts_ns;
 *  - reserved fields and padding are zero; a counter's available is 0 or
 *    1, and an unavailable counter's value is 0;
 *  - the end record counts the records before it; nothing follows it.
 *
 * Version 2 (still read): no PM_REC_DECLARE/PM_REC_LABEL, stages named by
 * PM_REC_NAME records, histogram and counter records without a unit
 * (reader: histograms are in "ns", counters plain counts).  Version 1
 * (80-byte stage records) is not read.
 */
#ifndef PAGEMOVE_LOG_FORMAT_H
#define PAGEMOVE_LOG_FORMAT_H

#include "pagemove/hist_format.h"

#define PM_LOG_MAGIC		"PMVLOG\r\n"	/* \r\n: catches text-mode damage */
#define PM_LOG_VERSION		3
#define PM_LOG_VERSION_MIN	2		/* oldest version a reader reads */
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
	PM_REC_NAME = 5,	/* version 2 only: struct pm_rec_name */
	PM_REC_DECLARE = 6,	/* struct pm_rec_declare + fields */
	PM_REC_LABEL = 7,	/* struct pm_rec_label: names a field's value */
};

#define PM_REC_KIND_MIN		0x100	/* first type a PM_REC_DECLARE can declare */
#define PM_REC_KIND_MAX		0x7fff
#define PM_REC_OPTIONAL		0x8000	/* type bit: skip me if you do not know me */

struct pm_rec_hdr {
	unsigned short type;		/* enum pm_rec_type, a kind, or optional */
	unsigned short size;		/* payload bytes that follow */
	unsigned int cpu;		/* slices: those of the last one */
	unsigned long long ts_ns;	/* when the record's event ended */
};

#define PM_NAME_LEN	32
#define PM_UNIT_LEN	16
#define PM_FIELD_NAME_LEN 24
#define PM_MAX_STAGES	64	/* stage numbers are 0 .. PM_MAX_STAGES - 1 */
#define PM_MAX_KINDS	64	/* declared kinds in one log */
#define PM_MAX_FIELDS	16	/* fields of one kind */
#define PM_MAX_LABELS	1024	/* labels in one log */
#define PM_MAX_NAMED	512	/* histogram and counter records in one log */

/* Version 2: names stage number @id, once, before any slice uses it. */
struct pm_rec_name {
	unsigned int id;
	unsigned int reserved;
	char name[PM_NAME_LEN];		/* NUL-terminated */
};

enum pm_decl_class {
	PM_DECL_STAGE = 1,	/* id: a stage number; unit: of its durations */
	PM_DECL_EVENT = 2,	/* id: a record type; payload: u64 per field */
	PM_DECL_SPAN = 3,	/* an event whose field 0 is its duration ("ns"),
				 * ending at its record's ts_ns: a timeline span */
};

/* Field flags: how a consumer reads a field's values. */
#define PM_FIELD_ENUM	(1U << 0)	/* a code; PM_REC_LABEL names its values */
#define PM_FIELD_ID	(1U << 1)	/* an identifier (pid, address): not a quantity */

struct pm_field {
	char name[PM_FIELD_NAME_LEN];	/* e.g. "objects" */
	char unit[PM_UNIT_LEN];		/* e.g. "ns", "pages", "" */
	unsigned int flags;		/* PM_FIELD_* */
	unsigned int reserved;
};

/*
 * Declares a stage (class PM_DECL_STAGE, no fields) or a record kind
 * (PM_DECL_EVENT, PM_DECL_SPAN: 1 .. PM_MAX_FIELDS fields), once, before
 * anything uses it.  Followed by @nfields struct pm_field.
 */
struct pm_rec_declare {
	unsigned short class;		/* enum pm_decl_class */
	unsigned short id;		/* stage number, or record type of the kind */
	unsigned short nfields;
	unsigned short reserved;
	char name[PM_NAME_LEN];		/* e.g. "collect", "migrate_outcome" */
	char unit[PM_UNIT_LEN];		/* stage: "ns"; kinds: "" */
};

/* Names value @value of field @field of kind @kind, once. */
struct pm_rec_label {
	unsigned short kind;		/* a declared record type */
	unsigned short field;		/* a PM_FIELD_ENUM field of it */
	unsigned int reserved;
	unsigned long long value;
	char name[PM_NAME_LEN];		/* e.g. "busy" */
};

#define PM_SLICES_MAX	1024

/*
 * @n stage slices (1 .. PM_SLICES_MAX), each a span [end - dur, end] of one
 * stage of operation op_id on thread pid, followed by these columns of @n
 * values, in this order, each padded with zero bytes to a multiple of 8:
 *
 *   unsigned char       stage[n];    declared stage numbers
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

/* Version 3; version 2 had no unit (its payload was 32 + sizeof(pm_hist)). */
struct pm_rec_hist {
	char name[PM_NAME_LEN];		/* e.g. "collect_ns" */
	char unit[PM_UNIT_LEN];		/* of the values, e.g. "ns" */
	struct pm_hist hist;
};

/* Version 3; version 2 had no unit (its payload was 48 bytes). */
struct pm_rec_counter {
	char name[PM_NAME_LEN];		/* e.g. "skip.pinned" */
	char unit[PM_UNIT_LEN];		/* e.g. "pages"; "": a plain count */
	unsigned long long value;
	unsigned int available;		/* 0: this kernel cannot count it */
	unsigned int pad;
};

#define PM_REC_HIST_V2_SIZE	(PM_NAME_LEN + sizeof(struct pm_hist))
#define PM_REC_COUNTER_V2_SIZE	(PM_NAME_LEN + 16)

struct pm_rec_end {
	unsigned long long lost_events;
	unsigned long long nr_records;	/* before this one */
};

#endif /* PAGEMOVE_LOG_FORMAT_H */
