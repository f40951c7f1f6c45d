/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by bpf/balloonlat.bpf.c and tools/balloonlat.c. */
#ifndef PAGEMOVE_BALLOONLAT_H
#define PAGEMOVE_BALLOONLAT_H

#include "pagemove/hist_format.h"

/*
 * Stages.  Guest: one round is one run of the balloon's work item
 * (update_balloon_size_func); alloc, enqueue, dequeue and release are
 * per round (the sum over its pages); tell_* are per request (one
 * buffer to the host and its ack); config is the rest of the round: the
 * config reads and writes (num_pages, actual) and the driver's own code.
 * Host (QEMU, -p its pid): one madvise()/fallocate() call each, and one
 * virtio_balloon_handle_output() call (uprobe, where QEMU has symbols).
 */
enum bl_stage {
	/* The guest's parts of a round: they add up to the round. */
	BL_TELL_INFLATE,
	BL_TELL_DEFLATE,
	BL_ALLOC,
	BL_ENQUEUE,
	BL_DEQUEUE,
	BL_RELEASE,
	BL_CONFIG,
	/* QEMU's calls. */
	BL_HOST_MADVISE,
	BL_HOST_FALLOCATE,
	/* Stages that contain others: histograms only, no log slices. */
	BL_ROUND,
	BL_HOST_HANDLE,
	BL_NR_STAGES,
};

/* Stages 0 .. BL_NR_SLICE_STAGES - 1 have log slices (and shares). */
#define BL_NR_SLICE_STAGES BL_ROUND

#define BL_STAGE_NAMES { "tell_inflate", "tell_deflate", "alloc", "enqueue", "dequeue",	\
			 "release", "config", "madvise", "fallocate", "round",		\
			 "qemu_handle" }

enum bl_count {
	BL_ROUNDS,
	BL_REQ_INFLATE,		/* requests on the inflate queue */
	BL_REQ_DEFLATE,
	BL_PFN_INFLATE,		/* 4 KiB balloon pfns in those requests */
	BL_PFN_DEFLATE,
	BL_REQ_OUTSIDE,		/* requests outside a round (page migration) */
	BL_ALLOC_PAGES,		/* balloon_page_alloc() returns with a page (fentry) */
	BL_ALLOC_FAILED,	/* ... without one */
	BL_MADV_DONTNEED,	/* host madvise() calls by advice */
	BL_MADV_WILLNEED,
	BL_MADV_OTHER,
	BL_MADV_BYTES,
	BL_FALLOC_CALLS,
	BL_FALLOC_BYTES,
	BL_HANDLE_CALLS,
	BL_INCOMPLETE,		/* a round or request whose start was not seen */
	BL_NR_COUNTS,
};

#define BL_COUNT_NAMES { "rounds", "requests_inflate", "requests_deflate",		\
			 "pfns_inflate", "pfns_deflate", "requests_outside_rounds",	\
			 "alloc_pages", "alloc_failed", "madvise_dontneed",		\
			 "madvise_willneed", "madvise_other", "madvise_bytes",		\
			 "fallocate_calls", "fallocate_bytes", "handle_output_calls",	\
			 "incomplete" }

/* Ring-buffer records (only with -w): a round, a request, a host call. */
enum bl_event_type { BL_EV_ROUND, BL_EV_REQUEST, BL_EV_HOST };

struct bl_event {
	unsigned long long ts_end;
	unsigned long long dur_ns;
	unsigned long long round;		/* round number; 0: none */
	unsigned long long part_ns[BL_NR_STAGES];	/* BL_EV_ROUND: its stages */
	unsigned int type;			/* enum bl_event_type */
	unsigned int stage;			/* BL_EV_REQUEST/HOST: its stage */
	unsigned int pages;			/* pfns of the round/request; host: bytes / 4096 */
	unsigned int pid;
	unsigned int tgid;
	unsigned int cpu;
};

struct bl_totals {
	unsigned long long count[BL_NR_COUNTS];
	unsigned long long lost_events;
};

#endif /* PAGEMOVE_BALLOONLAT_H */
