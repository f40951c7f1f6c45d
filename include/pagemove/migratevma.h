/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by bpf/migratevma.bpf.c and tools/migratevma.c. */
#ifndef PAGEMOVE_MIGRATEVMA_H
#define PAGEMOVE_MIGRATEVMA_H

#include "pagemove/hist_format.h"

/*
 * Stages of one migrate_vma_setup() .. migrate_vma_finalize() sequence.
 * COPY and MAP are the driver's windows: setup's return to pages, and
 * pages' return to finalize.
 */
enum mv_stage {
	MV_COLLECT,
	MV_UNMAP,
	MV_COPY,
	MV_PAGES,
	MV_MAP,
	MV_FINALIZE,
	MV_TOTAL,
	MV_NR_STAGES,
};

#define MV_STAGE_NAMES { "collect", "unmap", "copy", "pages", "map", "finalize", "total" }

/* Reasons of the series' migrate_device events (enum migrate_device_reason). */
#define MV_NR_REASONS 21
#define MV_REASON_NAMES {						\
	"hole", "zero_page", "not_anon", "not_present", "not_selected",	\
	"owner", "no_page", "locked", "pinned", "split_failed", "free",	\
	"truncated", "isolate_failed", "unmap_failed", "extra_refs",	\
	"no_dst_hole", "no_dst_page", "swapcache", "unsupported",	\
	"mapping_failed", "insert_failed" }

/* Page counts of a migration, in pages (a THP entry counts all its pages). */
enum mv_count {
	MV_REQUESTED,	/* pages in the range */
	MV_COLLECTED,	/* marked for migration by collect */
	MV_UNMAPPED,	/* still marked after unmap */
	MV_MIGRATED,	/* still marked after migrate_vma_pages() */
	MV_NR_COUNTS,
};

#define MV_COUNT_NAMES { "requested", "collected", "unmapped", "migrated" }

/* One finished migration, through the ring buffer. */
struct mv_event {
	unsigned long long op_id;
	unsigned long long ts_end;		/* finalize returned */
	unsigned long long dur_ns[MV_NR_STAGES];
	unsigned long long pages[MV_NR_COUNTS];
	unsigned int pid;
	unsigned int tgid;
	unsigned int cpu;
	unsigned int pad;
};

/* src array entries counted per call (pages_end etc. without the series). */
#define MV_MAX_WALK (1 << 20)

/* Totals kept in the kernel (the .bss of the BPF object). */
struct mv_totals {
	unsigned long long migrations;		/* finished sequences */
	unsigned long long pages[MV_NR_COUNTS];
	unsigned long long reason_pages[MV_NR_REASONS];
	unsigned long long lost_events;		/* ring buffer full */
	unsigned long long incomplete;		/* a stage began out of order */
	unsigned long long walk_truncated;	/* src arrays longer than counted */
};

#endif /* PAGEMOVE_MIGRATEVMA_H */
