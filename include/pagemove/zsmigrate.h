/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by bpf/zsmigrate.bpf.c and tools/zsmigrate.c. */
#ifndef PAGEMOVE_ZSMIGRATE_H
#define PAGEMOVE_ZSMIGRATE_H

#include "pagemove/hist_format.h"

/* Histograms (per-CPU array "hists"), in ns. */
enum zm_stage {
	ZM_MIGRATE,		/* zs_page_migrate(), entry to return */
	ZM_ISOLATE_GAP,		/* isolated .. zs_page_migrate() entered (window W0) */
	ZM_STALL_READ,		/* zs_obj_read_begin() that overlapped a migration of its zspage */
	ZM_STALL_WRITE,		/* zs_obj_write() ditto */
	ZM_STALL_MALLOC,	/* zs_malloc() that overlapped a migration in its class */
	ZM_STALL_FREE,		/* zs_free() ditto */
	ZM_NR_STAGES,
};

#define ZM_STAGE_NAMES { "migrate", "isolate_gap", "stall_read", "stall_write", \
			 "stall_malloc", "stall_free" }

/* Outcomes, as in the closing summary line "migrations: ...". */
enum zm_outcome {
	ZM_ISOLATED,		/* zs_page_isolate() said yes */
	ZM_ISOLATE_REFUSED,	/* ... said no (zspage already gone) */
	ZM_MIGRATED,		/* zs_page_migrate() moved the page */
	ZM_BUSY,		/* -EBUSY: a reader held the zspage */
	ZM_FREED_ISOLATED,	/* the zspage was destroyed while the page was isolated (W0) */
	ZM_OTHER_ERROR,		/* any other return (none in 7.3) */
	ZM_PUTBACK,		/* zs_page_putback() */
	ZM_OBJS_MOVED,		/* allocated slots of the pages migrated */
	ZM_NR_OUTCOMES,
};

#define ZM_OUTCOME_NAMES { "isolated", "isolate_refused", "migrated", "busy", \
			   "freed_isolated", "other_error", "putback", "objs_moved" }

/* The race detector's checks: /work/helpers/zsmigrate-checks.md, README. */
enum zm_check {
	ZM_C_HANDLE_OLD_PAGE,
	ZM_C_OBJS_MOVED,
	ZM_C_SLOT_WORDS,
	ZM_C_FREEOBJ_RANGE,
	ZM_C_STALE_MAPPING,
	ZM_C_MOVED_UNDER_READER,
	ZM_C_HEADER_BACKPTR,
	ZM_C_LOST_WRITE,
	ZM_C_FREEOBJ_WALK,
	ZM_NR_CHECKS,
};

#define ZM_CHECK_NAMES { "handle_old_page", "objs_moved", "slot_words", "freeobj_range", \
			 "stale_mapping", "moved_under_reader", "header_backptr", "lost_write", \
			 "freeobj_walk" }

/* Operations named in a race report. */
enum zm_op {
	ZM_OP_NONE,
	ZM_OP_MIGRATE,
	ZM_OP_MALLOC,
	ZM_OP_FREE,
	ZM_OP_READ,
	ZM_OP_READ_END,
	ZM_OP_WRITE,
	ZM_NR_OPS,
};

#define ZM_OP_NAMES { "none", "migrate", "malloc", "free", "read", "read_end", "write" }

/* Stalled operations (overlapping a migration), by op. */
enum zm_stall {
	ZM_S_READ,
	ZM_S_WRITE,
	ZM_S_MALLOC,
	ZM_S_FREE,
	ZM_NR_STALLS,
};

struct zm_totals {
	unsigned long long outcome[ZM_NR_OUTCOMES];
	unsigned long long runs[ZM_NR_CHECKS];
	unsigned long long violations[ZM_NR_CHECKS];
	unsigned long long skipped[ZM_NR_CHECKS];	/* data changed under the check */
	unsigned long long ops[ZM_NR_STALLS];		/* operations seen */
	unsigned long long stalled[ZM_NR_STALLS];	/* ... that overlapped a migration */
	unsigned long long race_reports;
	unsigned long long lost_events;
	unsigned long long decode_bad;	/* obj values whose class did not decode */
	unsigned long long state_lost;	/* task storage or isolation map refused an element */
	/* compaction: zs_compact()/zs_shrinker_scan() returns (every mode) ... */
	unsigned long long compactions;
	unsigned long long compact_pages_freed;
	/* ... and the series' zs_compact_class (tp_btf only) */
	unsigned long long compact_classes;
	unsigned long long compact_objs;
	unsigned long long compact_class_pages;
};

enum zm_event_type { ZM_EV_MIGRATION = 1, ZM_EV_RACE = 2 };

/* Migration results in an event (the series' enum zs_migrate_result + 1 more). */
enum zm_result { ZM_R_SUCCESS, ZM_R_BUSY, ZM_R_FREED, ZM_R_ERROR, ZM_NR_RESULTS };

#define ZM_RESULT_NAMES { "success", "busy", "freed", "error" }

/* One migration (only with -w) or one race report (always), through the ring. */
struct zm_event {
	unsigned int type;		/* enum zm_event_type */
	unsigned int cpu;
	unsigned int pid;
	unsigned int class_size;
	unsigned long long ts;		/* migration: when it returned; race: when seen */
	unsigned long long dur_ns;	/* migration: its duration */
	unsigned long long zspage;
	unsigned long long old_pfn;
	unsigned long long new_pfn;
	/* migration */
	unsigned int result;		/* enum zm_result */
	unsigned int nr_objs;
	/* race */
	unsigned int check;		/* enum zm_check */
	unsigned int op;		/* enum zm_op: the operation that saw it */
	unsigned int other_op;		/* the migration it overlapped, if any */
	unsigned int other_cpu;
	unsigned long long other_ts;	/* that migration's start */
	unsigned long long handle;
	unsigned long long value;	/* the offending word/value */
	unsigned long long expected;
};

#endif /* PAGEMOVE_ZSMIGRATE_H */
