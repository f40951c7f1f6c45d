/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pagemove tracer framework: what migratevma, zsmigrate and balloonlat
 * share.  A tracer is its .bpf.c (which includes bpf/tracer.bpf.h), and a
 * loader that fills a struct pm_tracer and calls pm_tracer_main().
 *
 * The framework owns the common options (-p PID [-f|-C], -w FILE, -j, -H MODE,
 * -v, [interval [count]], -- CMD), hook selection (tp_btf, then
 * fentry/fexit, then kprobe, then classic tracepoints and uprobes for
 * tracers that have them: the mode of a program is its SEC() prefix, its
 * availability is checked from the name after it), loading, the filter by
 * process (pm_tgids, pm_fork, pm_exit), the run loop (ring buffer,
 * interval/count, signals, CMD), the per-CPU histogram reads, one snapshot
 * at exit for both the summary and the event log, and the log itself.
 */
#ifndef PAGEMOVE_TOOLS_TRACER_H
#define PAGEMOVE_TOOLS_TRACER_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

#include <bpf/libbpf.h>

#include "hist_api.h"
#include "log_api.h"
#include "pagemove/tracer_limits.h"

/*
 * PM_MODE_TRACEPOINT: classic tracepoints (SEC("tracepoint/CAT/NAME")) and
 * uprobes (SEC("uprobe"), attached by the tracer's attached() callback):
 * all a kernel without BTF-typed tracing allows (the host kernel here).
 * Tried last, and only for tracers that have such programs.
 */
enum pm_mode { PM_MODE_AUTO, PM_MODE_TP, PM_MODE_FENTRY, PM_MODE_KPROBE, PM_MODE_TRACEPOINT,
	       PM_NR_MODES };

/* "auto", "tp_btf", "fentry", "kprobe", "tracepoint": what -H takes and -v prints. */
const char *pm_mode_name(enum pm_mode m);

/* A skeleton, seen through functions the framework can call for any tracer. */
struct pm_skel_ops {
	void *(*open)(void);
	struct bpf_object *(*obj)(void *skel);
	/* The knobs of bpf/tracer.bpf.h, in the skeleton's .rodata. */
	void (*knobs)(void *skel, bool filter, bool events);
	int (*load)(void *skel);
	int (*attach)(void *skel);
	void (*detach)(void *skel);
	void (*destroy)(void *skel);
	uint64_t (*tgids_full)(void *skel);
};

/* PM_SKEL_OPS(migratevma_bpf): the ops of that skeleton (a static const). */
#define PM_SKEL_OPS(sk)							\
static void *pm_##sk##_open(void) { return sk##__open(); }		\
static struct bpf_object *pm_##sk##_obj(void *s) { return ((struct sk *)s)->obj; } \
static void pm_##sk##_knobs(void *s, bool filter, bool events)		\
{									\
	((struct sk *)s)->rodata->pm_filter = filter;			\
	((struct sk *)s)->rodata->pm_events = events;			\
}									\
static int pm_##sk##_load(void *s) { return sk##__load(s); }		\
static int pm_##sk##_attach(void *s) { return sk##__attach(s); }	\
static void pm_##sk##_detach(void *s) { sk##__detach(s); }		\
static void pm_##sk##_destroy(void *s) { sk##__destroy(s); }		\
static uint64_t pm_##sk##_full(void *s) { return ((struct sk *)s)->bss->pm_tgids_full; } \
static const struct pm_skel_ops sk##_ops = {				\
	.open = pm_##sk##_open, .obj = pm_##sk##_obj,			\
	.knobs = pm_##sk##_knobs, .load = pm_##sk##_load,		\
	.attach = pm_##sk##_attach, .detach = pm_##sk##_detach,		\
	.destroy = pm_##sk##_destroy,					\
	.tgids_full = pm_##sk##_full,					\
}

#define PM_TRACER_MAX_STAGES	16
#define PM_TRACER_MAX_COUNTERS	64

/* One named count: "GROUP.NAME" in the log, in @unit (NULL: a plain count). */
struct pm_counter {
	const char *group;
	const char *name;
	uint64_t value;
	bool available;		/* false: this kernel/mode cannot say */
	const char *unit;
};

/* Everything read at once, for the summary and the log alike. */
struct pm_snapshot {
	struct pm_hist hist[PM_TRACER_MAX_STAGES];	/* one per stage */
	struct pm_counter counter[PM_TRACER_MAX_COUNTERS];
	unsigned int nr_counters;
	uint64_t lost;		/* events the ring buffer had no room for */
	/* Program runs the kernel skipped (recursion), also counter bpf.missed_runs. */
	uint64_t missed;
	const char *missed_worst;	/* the program that missed most */
};

struct pm_run;

struct pm_tracer {
	const char *name;
	const char *version;
	/* What it does (argp doc: before the options), then EXAMPLES lines. */
	const char *doc;
	const char *examples;
	const struct pm_skel_ops *skel;
	/* What each mode gives, e.g. "stages=fentry reasons=unavailable". */
	const char *hooks[PM_NR_MODES];
	/* Why a mode's hooks may be missing, e.g. "(they come with ...)". */
	const char *hint[PM_NR_MODES];
	/* Stages: histogram i is key i of the per-CPU map hist_map. */
	const char *const *stages;
	unsigned int nr_stages;
	unsigned int nr_slice_stages;	/* stages 0 .. n-1 have log slices */
	const char *hist_map;
	const char *events_map;		/* ring buffer, or NULL */
	/* One ring-buffer record; log slices through pm_run_slice(). */
	int (*event)(struct pm_run *run, const void *data, size_t size);
	/* Fill snap->counter[] and snap->lost (hists are read already). */
	void (*snapshot)(struct pm_run *run, struct pm_snapshot *snap);
	/* Print the summary: text, or one JSON line with pm_run_json(). */
	void (*summary)(struct pm_run *run, const struct pm_snapshot *snap);
	/*
	 * Optional: called once the skeleton is attached and -p's process
	 * registered, before the ready line (e.g. to attach uprobes to that
	 * process's binary).  Non-zero: the tracer fails.
	 */
	int (*attached)(struct pm_run *run);
	/*
	 * Optional.  Programs whose name starts with @shared_prefix are also
	 * loaded in the modes of @shared_modes (bit 1 << PM_MODE_*), their
	 * hooks checked by their own SEC() (e.g. fentry programs on
	 * functions the series' events do not replace).  Programs named in
	 * @optional (NULL-terminated) may be missing: the mode is still
	 * used without them (bpf_program__autoload() then says false).
	 */
	const char *shared_prefix;
	unsigned int shared_modes;
	const char *const *optional;
	/* Optional: declare the tracer's record kinds once the log is open (-w). */
	int (*log_begin)(struct pm_run *run, struct pm_log_writer *w);
};

/* The tracer's loader calls this from main() and returns what it returns. */
int pm_tracer_main(const struct pm_tracer *t, int argc, char **argv);

/* For the callbacks. */
void *pm_run_skel(const struct pm_run *run);
enum pm_mode pm_run_mode(const struct pm_run *run);
bool pm_run_json(const struct pm_run *run);
const char *pm_run_kernel(const struct pm_run *run);
/* -p's process (its tgid); 0 without -p. */
int pm_run_pid(const struct pm_run *run);
/* Whether the run follows processes (-p, -- CMD) or the whole system. */
bool pm_run_filtered(const struct pm_run *run);
/* The event log (-w), or NULL: for pm_log_event() of declared kinds. */
struct pm_log_writer *pm_run_log(struct pm_run *run);
/* Add a stage slice to the event log (-w); nothing without one. */
void pm_run_slice(struct pm_run *run, const struct pm_slice *s);

#endif /* PAGEMOVE_TOOLS_TRACER_H */
