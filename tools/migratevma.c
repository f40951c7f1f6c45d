// SPDX-License-Identifier: GPL-2.0
/*
 * migratevma - time the stages of device migration (migrate_vma_setup() ..
 * migrate_vma_finalize()) and explain the pages that did not move.
 *
 * Uses the pagemove series' migrate_device tracepoints (tp_btf) when the
 * kernel has them, else fentry/fexit, else kprobes on the same functions
 * (tools/tracer.c chooses; bpf/migratevma.bpf.c has every variant).
 */
#include <stdio.h>
#include <string.h>

#include "pagemove/migratevma.h"
#include "migratevma.skel.h"
#include "json.h"
#include "tracer.h"

PM_SKEL_OPS(migratevma_bpf);

static const char *const stage_names[] = MV_STAGE_NAMES;
static const char *const reason_names[] = MV_REASON_NAMES;
static const char *const count_names[] = MV_COUNT_NAMES;

/* One finished migration: one log slice per stage, end times rebuilt. */
static int on_event(struct pm_run *run, const void *data, size_t size)
{
	struct pm_slice sl = { 0 };
	struct mv_event e;
	uint64_t t, pages;
	int i;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	t = e.ts_end - e.dur_ns[MV_TOTAL];
	sl.op_id = e.op_id;
	sl.pid = e.pid;
	sl.tgid = e.tgid;
	sl.cpu = e.cpu;
	for (i = 0; i < MV_TOTAL; i++) {
		t += e.dur_ns[i];
		sl.end_ns = t;
		sl.dur_ns = e.dur_ns[i];
		sl.stage = (unsigned int)i;
		pages = i <= MV_UNMAP ? e.pages[i + 1] : e.pages[MV_MIGRATED];
		/* One migrate_vma call cannot cover 2^32 pages (16 TiB); clamp anyway. */
		sl.pages = pages > UINT32_MAX ? UINT32_MAX : (uint32_t)pages;
		pm_run_slice(run, &sl);
	}
	return 0;
}

static bool have_reasons(const struct pm_run *run)
{
	return pm_run_mode(run) == PM_MODE_TP;
}

static void on_snapshot(struct pm_run *run, struct pm_snapshot *s)
{
	const struct migratevma_bpf *skel = pm_run_skel(run);
	const struct mv_totals *t = &skel->bss->totals;
	int i;

	for (i = 0; i < MV_NR_COUNTS; i++)
		s->counter[s->nr_counters++] = (struct pm_counter){ "pages", count_names[i],
								   t->pages[i], true, "pages" };
	for (i = 0; i < MV_NR_REASONS; i++)
		s->counter[s->nr_counters++] = (struct pm_counter){ "reason", reason_names[i],
								   t->reason_pages[i],
								   have_reasons(run), "pages" };
	s->lost = t->lost_events;
}

static void print_json(struct pm_run *run, const struct pm_snapshot *s,
		       const struct mv_totals *t)
{
	const struct pm_hist *h = s->hist;
	struct pm_json j;
	int i;

	pm_json_begin(&j, stdout);
	pm_json_obj(&j, NULL);
	pm_json_str(&j, "tool", "migratevma");
	pm_json_str(&j, "kernel", pm_run_kernel(run));
	pm_json_str(&j, "hooks", pm_mode_name(pm_run_mode(run)));
	pm_json_u64(&j, "migrations", t->migrations);
	pm_json_u64(&j, "incomplete", t->incomplete);
	pm_json_u64(&j, "lost_events", t->lost_events);
	pm_json_u64(&j, "walk_truncated", t->walk_truncated);
	pm_json_obj(&j, "pages");
	for (i = 0; i < MV_NR_COUNTS; i++)
		pm_json_u64(&j, count_names[i], t->pages[i]);
	pm_json_end(&j);
	pm_json_obj(&j, "stages_ns");
	for (i = 0; i < MV_NR_STAGES; i++)
		pm_json_hist(&j, stage_names[i], &h[i]);
	pm_json_end(&j);
	if (!have_reasons(run)) {
		pm_json_null(&j, "reasons_pages");
	} else {
		pm_json_obj(&j, "reasons_pages");
		for (i = 0; i < MV_NR_REASONS; i++)
			pm_json_u64(&j, reason_names[i], t->reason_pages[i]);
		pm_json_end(&j);
	}
	pm_json_end(&j);
	pm_json_finish(&j);
}

static void on_summary(struct pm_run *run, const struct pm_snapshot *s)
{
	const struct migratevma_bpf *skel = pm_run_skel(run);
	const struct mv_totals *t = &skel->bss->totals;
	const struct pm_hist *h = s->hist;
	int i;

	if (pm_run_json(run)) {
		print_json(run, s, t);
		return;
	}
	printf("migratevma on %s, hooks: %s\n", pm_run_kernel(run), pm_mode_name(pm_run_mode(run)));
	printf("migrations %llu (incomplete %llu); pages: requested %llu, collected %llu, "
	       "unmapped %llu, migrated %llu\n", t->migrations, t->incomplete,
	       t->pages[MV_REQUESTED], t->pages[MV_COLLECTED], t->pages[MV_UNMAPPED],
	       t->pages[MV_MIGRATED]);
	printf("%-9s %8s %10s %10s %10s %10s %10s\n", "stage", "count", "mean us", "p50 us",
	       "p90 us", "p99 us", "max us");
	for (i = 0; i < MV_NR_STAGES; i++)
		printf("%-9s %8llu %10.1f %10.1f %10.1f %10.1f %10.1f\n", stage_names[i], h[i].count,
		       pm_hist_mean(&h[i]) / 1e3, pm_hist_percentile(&h[i], 50) / 1e3,
		       pm_hist_percentile(&h[i], 90) / 1e3, pm_hist_percentile(&h[i], 99) / 1e3,
		       h[i].max / 1e3);
	if (have_reasons(run)) {
		printf("pages collected without a source page or not migrated, by reason:\n");
		for (i = 0; i < MV_NR_REASONS; i++)
			if (t->reason_pages[i])
				printf("  %-15s %llu\n", reason_names[i], t->reason_pages[i]);
	} else {
		printf("reasons: unavailable on this kernel (they need the pagemove series' "
		       "migrate_device tracepoints)\n");
	}
	if (t->lost_events)
		printf("WARNING: %llu events lost (ring buffer full): the event log misses them; "
		       "the histograms above do not\n", t->lost_events);
	if (t->walk_truncated)
		printf("WARNING: %llu src arrays were longer than the %d entries counted: their "
		       "page counts are low\n", t->walk_truncated, MV_MAX_WALK);
}

static const struct pm_tracer migratevma = {
	.name = "migratevma",
	.version = "migratevma 0.2",
	.doc = "Time the stages of device migration and count the pages that did not move.\n"
	       "\n"
	       "Stages: collect, unmap (migrate_vma_setup), copy (the driver, until "
	       "migrate_vma_pages), pages, map (the driver, until migrate_vma_finalize), "
	       "finalize.  Reasons for pages not migrated need the pagemove series' "
	       "tracepoints; without them they are reported as unavailable.",
	.examples =
	"    migratevma                        # summary at Ctrl-C\n"
	"    migratevma 5 3                    # a summary every 5 s, 3 times\n"
	"    migratevma -p 1234 -w mv.log      # one process; events to mv.log\n"
	"    migratevma -p 1234 -f             # that process and the children it forks\n"
	"    migratevma -j -- hmmbench -s 64   # JSON summary of one command, children too\n"
	"    migratevma -H kprobe              # force kprobes\n",
	.skel = &migratevma_bpf_ops,
	.hooks = {
		[PM_MODE_TP] = "stages=tp_btf reasons=tp_btf",
		[PM_MODE_FENTRY] = "stages=fentry reasons=unavailable",
		[PM_MODE_KPROBE] = "stages=kprobe reasons=unavailable",
	},
	.hint = {
		[PM_MODE_TP] = "(the migrate_device events come with the pagemove series)",
		[PM_MODE_KPROBE] = "(is CONFIG_DEVICE_MIGRATION set?)",
	},
	.stages = stage_names,
	.nr_stages = MV_NR_STAGES,
	.nr_slice_stages = MV_TOTAL,	/* "total" is no slice */
	.hist_map = "hists",
	.events_map = "events",
	.event = on_event,
	.snapshot = on_snapshot,
	.summary = on_summary,
};

int main(int argc, char **argv)
{
	return pm_tracer_main(&migratevma, argc, argv);
}
