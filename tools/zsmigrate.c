// SPDX-License-Identifier: GPL-2.0
/*
 * zsmigrate - zsmalloc page migration: outcomes of isolate/migrate/putback,
 * latency, the zsmalloc operations a migration stalls, and a race detector
 * checking the locking protocol around every migration window
 * (bpf/zsmigrate.bpf.c; the checks are in the README).
 *
 * Uses the pagemove series' zsmalloc events (tp_btf) when the kernel has
 * them, else fentry/fexit, else kprobes (tools/tracer.c chooses).
 */
#include <stdio.h>
#include <string.h>

#include "pagemove/zsmigrate.h"
#include "zsmigrate.skel.h"
#include "json.h"
#include "tracer.h"

PM_SKEL_OPS(zsmigrate_bpf);

static const char *const stage_names[] = ZM_STAGE_NAMES;
static const char *const outcome_names[] = ZM_OUTCOME_NAMES;
static const char *const check_names[] = ZM_CHECK_NAMES;
static const char *const op_names[] = ZM_OP_NAMES;
static const char *const result_names[] = ZM_RESULT_NAMES;
static const char *const stall_names[] = { "read", "write", "malloc", "free" };

/* Log record kinds (PM_REC_KIND_MIN ..). */
enum { KIND_MIGRATION = 0x300, KIND_RACE = 0x301 };

#define ID	PM_FIELD_ID
#define ENUM	PM_FIELD_ENUM
static const struct pm_field mig_fields[] = {
	{ "dur", "ns", 0, 0 }, { "result", "", ENUM, 0 }, { "pfn", "", ID, 0 },
	{ "newpfn", "", ID, 0 }, { "class_size", "bytes", 0, 0 }, { "objs", "objects", 0, 0 },
	{ "zspage", "", ID, 0 }, { "pid", "", ID, 0 },
};
static const struct pm_field race_fields[] = {
	{ "check", "", ENUM, 0 }, { "op", "", ENUM, 0 }, { "other_op", "", ENUM, 0 },
	{ "zspage", "", ID, 0 }, { "class_size", "bytes", 0, 0 }, { "old_pfn", "", ID, 0 },
	{ "new_pfn", "", ID, 0 }, { "handle", "", ID, 0 }, { "value", "", ID, 0 },
	{ "expected", "", ID, 0 }, { "other_cpu", "", ID, 0 }, { "other_ts", "ns", ID, 0 },
	{ "pid", "", ID, 0 },
};
#define NF(a) (sizeof(a) / sizeof((a)[0]))

static int log_begin(struct pm_run *run, struct pm_log_writer *w)
{
	unsigned int i;
	int err;

	(void)run;
	err = pm_log_declare(w, KIND_MIGRATION, PM_DECL_SPAN, "zs_migration", mig_fields,
			     NF(mig_fields));
	err |= pm_log_declare(w, KIND_RACE, PM_DECL_EVENT, "zs_race", race_fields,
			      NF(race_fields));
	for (i = 0; i < ZM_NR_RESULTS; i++)
		err |= pm_log_label(w, KIND_MIGRATION, 1, i, result_names[i]);
	for (i = 0; i < ZM_NR_CHECKS; i++)
		err |= pm_log_label(w, KIND_RACE, 0, i, check_names[i]);
	for (i = 0; i < ZM_NR_OPS; i++) {
		err |= pm_log_label(w, KIND_RACE, 1, i, op_names[i]);
		err |= pm_log_label(w, KIND_RACE, 2, i, op_names[i]);
	}
	return err ? -1 : 0;
}

static const char *name_of(const char *const *names, unsigned int n, unsigned int i)
{
	return i < n ? names[i] : "?";
}

/*
 * Why the direct-map and vmemmap bases the BPF side used may not be this
 * kernel's, or NULL.  It falls back to the fixed x86_64 4-level bases when
 * vmemmap_base or page_offset_base does not resolve: right when the kernel
 * has no dynamic memory layout, and then /proc/kallsyms lists neither.
 */
static const char *layout_unknown(const struct pm_run *run)
{
	static const char *why;
	static bool done;
	const struct zsmigrate_bpf *skel = pm_run_skel(run);
	char line[512];
	FILE *f;

	if (done)
		return why;
	if (!skel->bss->layout_guessed)
		return NULL;
	done = true;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return why = "memory layout unknown: vmemmap_base/page_offset_base did not "
			     "resolve and /proc/kallsyms cannot be read";
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");

		line[n] = '\0';
		if ((n > 13 && !strcmp(line + n - 13, " vmemmap_base")) ||
		    (n > 17 && !strcmp(line + n - 17, " page_offset_base"))) {
			why = "memory layout unknown: this kernel has vmemmap_base/"
			      "page_offset_base but their values could not be read (kptr_restrict?)";
			break;
		}
	}
	fclose(f);
	return why;
}

static int on_event(struct pm_run *run, const void *data, size_t size)
{
	struct pm_log_writer *w = pm_run_log(run);
	struct zm_event e;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (e.type == ZM_EV_MIGRATION && w) {
		uint64_t v[] = { e.dur_ns, e.result, e.old_pfn, e.new_pfn, e.class_size,
				 e.nr_objs, e.zspage, e.pid };

		pm_log_event(w, KIND_MIGRATION, e.cpu, e.ts, v, NF(v));
	} else if (e.type == ZM_EV_RACE && !layout_unknown(run)) {
		/* (with the layout unknown, reports are noise: counted, not shown) */
		uint64_t v[] = { e.check, e.op, e.other_op, e.zspage, e.class_size, e.old_pfn,
				 e.new_pfn, e.handle, e.value, e.expected, e.other_cpu,
				 e.other_ts, e.pid };

		if (w)
			pm_log_event(w, KIND_RACE, e.cpu, e.ts, v, NF(v));
		/* stdout is the JSON object's with --json */
		fprintf(pm_run_json(run) ? stderr : stdout,
			"race: check %s zspage 0x%llx class %u old_pfn 0x%llx new_pfn 0x%llx "
			"op %s cpu %u ts %llu other %s cpu %u ts %llu handle 0x%llx "
			"value 0x%llx expected 0x%llx pid %u\n",
			name_of(check_names, ZM_NR_CHECKS, e.check), e.zspage, e.class_size,
			e.old_pfn, e.new_pfn, name_of(op_names, ZM_NR_OPS, e.op), e.cpu, e.ts,
			name_of(op_names, ZM_NR_OPS, e.other_op), e.other_cpu, e.other_ts,
			e.handle, e.value, e.expected, e.pid);
	}
	return 0;
}

/* NULL if check @c runs in this mode, else why not. */
static const char *unsupported(const struct pm_run *run, int c)
{
	const struct zsmigrate_bpf *skel = pm_run_skel(run);
	enum pm_mode m = pm_run_mode(run);

	if (layout_unknown(run))
		return layout_unknown(run);
	switch (c) {
	case ZM_C_OBJS_MOVED:
		return m == PM_MODE_TP ? NULL : "needs nr_objs of the pagemove series' "
			"zs_migrate_end event";
	case ZM_C_STALE_MAPPING:
	case ZM_C_MOVED_UNDER_READER:
	case ZM_C_HEADER_BACKPTR:
		return m != PM_MODE_KPROBE ? NULL : "kprobe mode: the reader hooks are "
			"fentry/fexit only";
	case ZM_C_FREEOBJ_WALK:
		if (m == PM_MODE_KPROBE)
			return "kprobe mode: obj_malloc is hooked with fentry only";
		return bpf_program__autoload(skel->progs.ops_objm) ? NULL :
			"obj_malloc() is not in BTF (inlined): no hook runs under class->lock";
	case ZM_C_LOST_WRITE:
		if (m == PM_MODE_KPROBE)
			return "kprobe mode: the writer hooks are fentry/fexit only";
		return bpf_program__autoload(skel->progs.ops_shrink_in) ? NULL :
			"zs_shrinker_scan() is not in BTF: compaction, which moves objects "
			"before copying them, cannot be excluded";
	}
	return NULL;
}

static void on_snapshot(struct pm_run *run, struct pm_snapshot *s)
{
	const struct zsmigrate_bpf *skel = pm_run_skel(run);
	const struct zm_totals *t = &skel->bss->totals;
	int i;

/* an unavailable counter is logged as 0 (lib/log.c refuses anything else) */
#define ADD(g, n, v, a) \
	(s->counter[s->nr_counters++] = (struct pm_counter){ g, n, (a) ? (v) : 0, a, NULL })
	for (i = 0; i < ZM_NR_OUTCOMES; i++)
		ADD("migrations", outcome_names[i], t->outcome[i], true);
	for (i = 0; i < ZM_NR_CHECKS; i++) {
		bool ok = !unsupported(run, i);

		ADD("runs", check_names[i], t->runs[i], ok);
		ADD("violations", check_names[i], t->violations[i], ok);
		ADD("skipped", check_names[i], t->skipped[i], ok);
	}
	for (i = 0; i < ZM_NR_STALLS; i++) {
		ADD("ops", stall_names[i], t->ops[i], pm_run_mode(run) != PM_MODE_KPROBE);
		ADD("stalled", stall_names[i], t->stalled[i], pm_run_mode(run) != PM_MODE_KPROBE);
	}
	ADD("compaction", "runs", t->compactions, pm_run_mode(run) != PM_MODE_KPROBE);
	ADD("compaction", "pages_freed", t->compact_pages_freed, pm_run_mode(run) != PM_MODE_KPROBE);
	ADD("compaction", "classes", t->compact_classes, pm_run_mode(run) == PM_MODE_TP);
	ADD("compaction", "objs_moved", t->compact_objs, pm_run_mode(run) == PM_MODE_TP);
	ADD("compaction", "class_pages", t->compact_class_pages, pm_run_mode(run) == PM_MODE_TP);
	ADD("race", "reports", t->race_reports, !layout_unknown(run));
	ADD("obj", "decode_bad", t->decode_bad, true);
	ADD("obj", "state_lost", t->state_lost, true);
#undef ADD
	s->lost = t->lost_events;
}

static void print_json(struct pm_run *run, const struct pm_snapshot *s, const struct zm_totals *t)
{
	static const struct { const char *key; int i; } outcomes[] = {
		{ "isolated", ZM_ISOLATED }, { "migrated", ZM_MIGRATED }, { "busy", ZM_BUSY },
		{ "freed_isolated", ZM_FREED_ISOLATED }, { "putback", ZM_PUTBACK },
		{ "objs_moved", ZM_OBJS_MOVED }, { "isolate_refused", ZM_ISOLATE_REFUSED },
		{ "other_error", ZM_OTHER_ERROR },
	};
	const struct pm_hist *h = s->hist;
	struct pm_json j;
	const char *why;
	size_t k;
	int i;

	pm_json_begin(&j, stdout);
	pm_json_obj(&j, NULL);
	pm_json_str(&j, "tool", "zsmigrate");
	pm_json_str(&j, "kernel", pm_run_kernel(run));
	pm_json_str(&j, "hooks", pm_mode_name(pm_run_mode(run)));
	pm_json_obj(&j, "migrations");
	for (k = 0; k < sizeof(outcomes) / sizeof(outcomes[0]); k++)
		pm_json_u64(&j, outcomes[k].key, t->outcome[outcomes[k].i]);
	pm_json_end(&j);
	pm_json_arr(&j, "checks");
	for (i = 0; i < ZM_NR_CHECKS; i++) {
		why = unsupported(run, i);
		pm_json_obj(&j, NULL);
		pm_json_str(&j, "name", check_names[i]);
		pm_json_bool(&j, "supported", !why);
		pm_json_u64(&j, "runs", t->runs[i]);
		pm_json_u64(&j, "violations", t->violations[i]);
		pm_json_u64(&j, "skipped", t->skipped[i]);
		if (why)
			pm_json_str(&j, "why", why);
		pm_json_end(&j);
	}
	pm_json_end(&j);
	if (layout_unknown(run))
		pm_json_null(&j, "race_reports");
	else
		pm_json_u64(&j, "race_reports", t->race_reports);
	if (layout_unknown(run))
		pm_json_str(&j, "layout", layout_unknown(run));
	pm_json_u64(&j, "lost_events", t->lost_events);
	pm_json_u64(&j, "decode_bad", t->decode_bad);
	pm_json_u64(&j, "state_lost", t->state_lost);
	pm_json_obj(&j, "stalls");
	for (i = 0; i < ZM_NR_STALLS; i++) {
		pm_json_obj(&j, stall_names[i]);
		pm_json_u64(&j, "ops", t->ops[i]);
		pm_json_u64(&j, "stalled", t->stalled[i]);
		pm_json_end(&j);
	}
	pm_json_end(&j);
	pm_json_obj(&j, "compaction");
	pm_json_u64(&j, "runs", t->compactions);
	pm_json_u64(&j, "pages_freed", t->compact_pages_freed);
	if (pm_run_mode(run) == PM_MODE_TP) {
		pm_json_u64(&j, "classes", t->compact_classes);
		pm_json_u64(&j, "objs_moved", t->compact_objs);
	}
	pm_json_end(&j);
	pm_json_obj(&j, "latency_ns");
	for (i = 0; i < ZM_NR_STAGES; i++)
		pm_json_hist(&j, stage_names[i], &h[i]);
	pm_json_end(&j);
	pm_json_end(&j);
	pm_json_finish(&j);
}

static void on_summary(struct pm_run *run, const struct pm_snapshot *s)
{
	const struct zsmigrate_bpf *skel = pm_run_skel(run);
	const struct zm_totals *t = &skel->bss->totals;
	const struct pm_hist *h = s->hist;
	const char *why;
	int i;

	if (pm_run_json(run)) {
		print_json(run, s, t);
		return;
	}
	printf("zsmigrate on %s, hooks: %s\n", pm_run_kernel(run), pm_mode_name(pm_run_mode(run)));
	printf("migrations: isolated %llu migrated %llu busy %llu freed_isolated %llu putback %llu "
	       "objs_moved %llu\n", t->outcome[ZM_ISOLATED], t->outcome[ZM_MIGRATED],
	       t->outcome[ZM_BUSY], t->outcome[ZM_FREED_ISOLATED], t->outcome[ZM_PUTBACK],
	       t->outcome[ZM_OBJS_MOVED]);
	printf("isolate refused %llu, other migrate errors %llu\n", t->outcome[ZM_ISOLATE_REFUSED],
	       t->outcome[ZM_OTHER_ERROR]);
	printf("%-13s %8s %10s %10s %10s %10s %10s\n", "latency", "count", "mean us", "p50 us",
	       "p90 us", "p99 us", "max us");
	for (i = 0; i < ZM_NR_STAGES; i++)
		printf("%-13s %8llu %10.1f %10.1f %10.1f %10.1f %10.1f\n", stage_names[i],
		       h[i].count, pm_hist_mean(&h[i]) / 1e3, pm_hist_percentile(&h[i], 50) / 1e3,
		       pm_hist_percentile(&h[i], 90) / 1e3, pm_hist_percentile(&h[i], 99) / 1e3,
		       h[i].max / 1e3);
	printf("lock hold: not measurable with these hooks (pool, class and zspage locks are "
	       "taken and dropped inside zs_page_migrate; \"migrate\" bounds them)\n");
	if (pm_run_mode(run) != PM_MODE_KPROBE)
		for (i = 0; i < ZM_NR_STALLS; i++)
			printf("stalls: %-6s %llu of %llu overlapped a migration\n", stall_names[i],
			       t->stalled[i], t->ops[i]);
	if (pm_run_mode(run) == PM_MODE_TP)
		printf("compaction: runs %llu pages_freed %llu; per class (series): %llu classes, "
		       "objs_moved %llu, pages_freed %llu\n", t->compactions, t->compact_pages_freed,
		       t->compact_classes, t->compact_objs, t->compact_class_pages);
	else if (pm_run_mode(run) == PM_MODE_FENTRY)
		printf("compaction: runs %llu pages_freed %llu; per class: unavailable (needs the "
		       "series' zs_compact_class event)\n", t->compactions, t->compact_pages_freed);
	for (i = 0; i < ZM_NR_CHECKS; i++) {
		why = unsupported(run, i);
		if (why)
			printf("check %s: not checked on this kernel (%s)\n", check_names[i], why);
		else
			printf("check %s: runs %llu violations %llu\n", check_names[i], t->runs[i],
			       t->violations[i]);
	}
	if (layout_unknown(run))
		printf("race reports: not checked on this kernel (%s)\n", layout_unknown(run));
	else
		printf("race reports: %llu\n", t->race_reports);
	if (t->decode_bad)
		printf("WARNING: %llu handles did not decode to their zspage's class: this "
		       "kernel's obj encoding is not x86_64 7.3's; the reader checks are unsound\n",
		       t->decode_bad);
	if (t->lost_events)
		printf("WARNING: %llu events lost (ring buffer full): race reports or log records "
		       "are missing; the counts above are not\n", t->lost_events);
	if (t->state_lost)
		printf("WARNING: %llu operations or migrations not followed (no memory for their "
		       "state): their checks and stalls are missing from the counts above\n",
		       t->state_lost);
}

static const char *const optional_progs[] = { "ops_shrink_in", "ops_shrink_out", "ops_objm",
					       "ops_sg_in", "ops_sg_out", "ops_sg_end", NULL };

static const struct pm_tracer zsmigrate = {
	.name = "zsmigrate",
	.version = "zsmigrate 0.1",
	.doc = "Trace zsmalloc page migration: outcomes of isolate, migrate and putback "
	       "(migrated, busy, freed while isolated), objects moved, latency, the zs_malloc/"
	       "zs_free/read/write calls a migration stalls, and a race detector that checks "
	       "the locking protocol around every migration window.\n"
	       "\n"
	       "The closing summary has one \"migrations:\" line, one \"check NAME:\" line per "
	       "check (runs and violations, or why it is not checked on this kernel) and a "
	       "\"race reports:\" line; each violation is printed as a \"race:\" line.",
	.examples =
	"    zsmigrate                          # summary at Ctrl-C\n"
	"    zsmigrate 10 6                     # a summary every 10 s, 6 times\n"
	"    zsmigrate -w zs.log -- zsstress    # one command; pagemove report zs.log\n"
	"    zsmigrate -p 1234 -C               # a process and the children it forks\n"
	"    zsmigrate --json -H fentry         # no series events: fentry/fexit, JSON\n",
	.skel = &zsmigrate_bpf_ops,
	.hooks = {
		[PM_MODE_TP] = "outcomes=tp_btf ops=fentry",
		[PM_MODE_FENTRY] = "outcomes=fentry ops=fentry",
		[PM_MODE_KPROBE] = "outcomes=kprobe ops=unavailable",
	},
	.hint = {
		[PM_MODE_TP] = "(the zsmalloc events come with the pagemove series)",
		[PM_MODE_FENTRY] = "(is CONFIG_ZSMALLOC set?)",
		[PM_MODE_KPROBE] = "(is CONFIG_ZSMALLOC set?)",
	},
	.stages = stage_names,
	.nr_stages = ZM_NR_STAGES,
	.nr_slice_stages = 0,
	.hist_map = "hists",
	.events_map = "events",
	.event = on_event,
	.snapshot = on_snapshot,
	.summary = on_summary,
	.shared_prefix = "ops_",
	.shared_modes = 1U << PM_MODE_TP,
	.optional = optional_progs,
	.log_begin = log_begin,
};

int main(int argc, char **argv)
{
	return pm_tracer_main(&zsmigrate, argc, argv);
}
