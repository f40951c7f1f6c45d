// SPDX-License-Identifier: GPL-2.0
/*
 * migratevma - time the stages of device migration (migrate_vma_setup() ..
 * migrate_vma_finalize()) and explain the pages that did not move.
 *
 * Uses the pagemove series' migrate_device tracepoints (tp_btf) when the
 * kernel has them, else fentry/fexit, else kprobes on the same functions.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "hist_api.h"
#include "log_api.h"
#include "pagemove/migratevma.h"
#include "migratevma.skel.h"	/* after the types of its .bss */
#include "toolutil.h"

enum mode { MODE_AUTO, MODE_TP, MODE_FENTRY, MODE_KPROBE };
static const char *const mode_names[] = { "auto", "tp_btf", "fentry", "kprobe" };

static struct env {
	pid_t pid;
	bool verbose;
	bool json;
	enum mode mode;
	const char *output;
	int interval;
	int count;
	char **cmd;
} env = { .interval = 0, .count = 1 };

static volatile sig_atomic_t exiting;

const char *argp_program_version = "migratevma 0.1";
static const char doc[] =
	"Time the stages of device migration and count the pages that did not move.\n"
	"\n"
	"Stages: collect, unmap (migrate_vma_setup), copy (the driver, until\n"
	"migrate_vma_pages), pages, map (the driver, until migrate_vma_finalize),\n"
	"finalize.  Reasons for pages not migrated need the pagemove series'\n"
	"tracepoints; without them they are reported as unavailable.\n"
	"\n"
	"USAGE: migratevma [-v] [-j] [-p PID] [-w FILE] [-H MODE] [interval [count]] [-- CMD...]\n"
	"\n"
	"EXAMPLES:\n"
	"    migratevma                    # summary at Ctrl-C\n"
	"    migratevma 5 3                # a summary every 5 s, 3 times\n"
	"    migratevma -p 1234 -w mv.log  # one process; events to mv.log\n"
	"    migratevma -j -- hmmbench -s 64   # JSON summary of one command\n"
	"    migratevma -H kprobe          # force kprobes\n";

static const struct argp_option opts[] = {
	{ "pid", 'p', "PID", 0, "trace this process only", 0 },
	{ "write", 'w', "FILE", 0, "write an event log (pagemove report FILE)", 0 },
	{ "json", 'j', NULL, 0, "summary as JSON", 0 },
	{ "hook", 'H', "MODE", 0, "auto (default), tp_btf, fentry or kprobe", 0 },
	{ "verbose", 'v', NULL, 0, "say which hooks are used; libbpf debug output", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	static int pos;
	int v;

	switch (key) {
	case 'p':
		if (tool_parse_int(arg, 1, 0x7fffffff, &v))
			argp_error(state, "invalid PID: %s", arg);
		env.pid = v;
		break;
	case 'w':
		env.output = arg;
		break;
	case 'j':
		env.json = true;
		break;
	case 'v':
		env.verbose = true;
		break;
	case 'H':
		for (v = 0; v < 4; v++)
			if (!strcmp(arg, mode_names[v]))
				break;
		if (v == 4)
			argp_error(state, "invalid hook mode: %s (auto, tp_btf, fentry, kprobe)", arg);
		env.mode = v;
		break;
	case ARGP_KEY_ARG:
		if (pos == 0) {
			if (tool_parse_int(arg, 1, 3600, &env.interval))
				argp_error(state, "invalid interval: %s", arg);
			env.count = 0;
		} else if (pos == 1) {
			if (tool_parse_int(arg, 1, 1000000, &env.count))
				argp_error(state, "invalid count: %s", arg);
		} else {
			argp_error(state, "unexpected argument: %s", arg);
		}
		pos++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void sig_handler(int sig)
{
	(void)sig;
	exiting = 1;
}

/* Programs of each mode; one mode serves all stages (they share state). */
static const char *const tp_progs[] = { "tp_setup_begin", "tp_collect", "tp_unmap",
	"tp_pages_begin", "tp_pages_end", "tp_finalize_begin", "tp_finalize_end",
	"tp_hole", "tp_skip", "tp_unmap_fail", "tp_pages_fail", NULL };
static const char *const fentry_progs[] = { "fn_setup", "fx_setup", "fn_unmap", "fx_unmap",
	"fn_pages", "fx_pages", "fn_finalize", "fx_finalize", NULL };
static const char *const kprobe_progs[] = { "kp_setup", "krp_setup", "kp_unmap", "krp_unmap",
	"kp_pages", "krp_pages", "kp_finalize", "krp_finalize", NULL };
static const char *const tp_events[] = { "migrate_vma_setup_begin", "migrate_vma_collect_end",
	"migrate_device_unmap_end", "migrate_vma_pages_begin", "migrate_device_pages_end",
	"migrate_vma_finalize_begin", "migrate_device_finalize_end",
	"migrate_vma_hole", "migrate_vma_collect_fail", "migrate_device_unmap_fail",
	"migrate_device_pages_fail", NULL };
static const char *const functions[] = { "migrate_vma_setup", "migrate_device_unmap",
	"migrate_vma_pages", "migrate_vma_finalize", NULL };

/* NULL if every name is in the kernel's BTF as @kind, else the missing one. */
static const char *btf_missing(const struct btf *btf, const char *const *names,
			       const char *prefix, int kind)
{
	char buf[128];
	int i;

	for (i = 0; names[i]; i++) {
		snprintf(buf, sizeof(buf), "%s%s", prefix, names[i]);
		if (btf__find_by_name_kind(btf, buf, kind) < 0)
			return names[i];
	}
	return NULL;
}

static bool in_kallsyms(const char *name)
{
	char line[256], sym[128];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %127s", sym) == 1 && !strcmp(sym, name);
	fclose(f);
	return found;
}

static void autoload_only(struct migratevma_bpf *skel, const char *const *names)
{
	struct bpf_program *prog;
	int i;

	bpf_object__for_each_program(prog, skel->obj) {
		bool on = false;

		for (i = 0; names[i]; i++)
			on |= !strcmp(bpf_program__name(prog), names[i]);
		bpf_program__set_autoload(prog, on);
	}
}

static const char *const *progs_of(enum mode m)
{
	return m == MODE_TP ? tp_progs : m == MODE_FENTRY ? fentry_progs : kprobe_progs;
}

/* Open, choose the hooks, load.  Tries the next mode when one is refused. */
static struct migratevma_bpf *load(enum mode *chosen, char *why, size_t whylen)
{
	struct btf *btf = btf__load_vmlinux_btf();
	enum mode order[3], m;
	int n = 0, i, err;
	const char *missing;

	if (!btf) {
		snprintf(why, whylen, "no kernel BTF (/sys/kernel/btf/vmlinux): CO-RE needs "
			 "CONFIG_DEBUG_INFO_BTF");
		return NULL;
	}
	if (env.mode == MODE_AUTO || env.mode == MODE_TP) {
		missing = btf_missing(btf, tp_events, "btf_trace_", BTF_KIND_TYPEDEF);
		if (!missing)
			order[n++] = MODE_TP;
		else if (env.mode == MODE_TP)
			snprintf(why, whylen, "tracepoint migrate_device:%s is not in this kernel "
				 "(it comes with the pagemove series)", missing);
	}
	if (env.mode == MODE_AUTO || env.mode == MODE_FENTRY) {
		missing = btf_missing(btf, functions, "", BTF_KIND_FUNC);
		if (!missing)
			order[n++] = MODE_FENTRY;
		else if (env.mode == MODE_FENTRY)
			snprintf(why, whylen, "%s() is not in the kernel's BTF (inlined or renamed): "
				 "no fentry hook", missing);
	}
	if (env.mode == MODE_AUTO || env.mode == MODE_KPROBE) {
		for (i = 0; functions[i] && in_kallsyms(functions[i]); i++)
			;
		if (!functions[i])
			order[n++] = MODE_KPROBE;
		else if (env.mode == MODE_KPROBE || !n)
			snprintf(why, whylen, "%s() is not in /proc/kallsyms: no kprobe hook "
				 "(is CONFIG_DEVICE_MIGRATION set?)", functions[i]);
	}
	btf__free(btf);

	for (i = 0; i < n; i++) {
		struct migratevma_bpf *skel = migratevma_bpf__open();

		m = order[i];
		if (!skel) {
			snprintf(why, whylen, "cannot open the BPF object: %s", strerror(errno));
			return NULL;
		}
		skel->rodata->target_tgid = env.pid;
		autoload_only(skel, progs_of(m));
		err = migratevma_bpf__load(skel);
		if (!err)
			err = migratevma_bpf__attach(skel);
		if (!err) {
			*chosen = m;
			return skel;
		}
		snprintf(why, whylen, "%s hooks refused: %s", mode_names[m], strerror(-err));
		if (env.verbose)
			fprintf(stderr, "migratevma: %s\n", why);
		migratevma_bpf__destroy(skel);
	}
	return NULL;
}

struct state {
	struct migratevma_bpf *skel;
	struct pm_log_writer *log;
	enum mode mode;
};

static const char *const stage_names[] = MV_STAGE_NAMES;
static const char *const reason_names[] = MV_REASON_NAMES;
static const char *const count_names[] = MV_COUNT_NAMES;

static int handle_event(void *ctx, void *data, size_t size)
{
	struct state *s = ctx;
	struct mv_event e;
	struct pm_slice sl = { 0 };
	uint64_t t, pages;
	int i;

	if (size < sizeof(e))
		return 0;
	memcpy(&e, data, sizeof(e));
	if (!s->log)
		return 0;
	/*
	 * One slice per stage, end times rebuilt from the durations.  A
	 * failed write latches in the writer; pm_log_close() reports it.
	 */
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
		pm_log_slice(s->log, &sl);
	}
	return 0;
}

/* Sum the per-CPU histograms of one stage. */
static int read_hist(struct migratevma_bpf *skel, uint32_t stage, struct pm_hist *out)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct pm_hist *v;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return -1;
	if (bpf_map__lookup_elem(skel->maps.hists, &stage, sizeof(stage), v,
				 sizeof(*v) * ncpu, 0)) {
		free(v);
		return -1;
	}
	for (i = 0; i < ncpu; i++)
		pm_hist_merge(out, &v[i]);
	free(v);
	return 0;
}

static void print_summary(struct state *s, const char *kernel)
{
	const struct mv_totals *t = &s->skel->bss->totals;
	bool reasons = s->mode == MODE_TP;
	struct pm_hist h[MV_NR_STAGES];
	int i;

	for (i = 0; i < MV_NR_STAGES; i++)
		read_hist(s->skel, i, &h[i]);
	if (env.json) {
		printf("{\"tool\":\"migratevma\",\"kernel\":\"%s\",\"hooks\":\"%s\","
		       "\"migrations\":%llu,\"incomplete\":%llu,\"lost_events\":%llu,"
		       "\"walk_truncated\":%llu,\"pages\":{",
		       kernel, mode_names[s->mode], t->migrations, t->incomplete, t->lost_events,
		       t->walk_truncated);
		for (i = 0; i < MV_NR_COUNTS; i++)
			printf("%s\"%s\":%llu", i ? "," : "", count_names[i], t->pages[i]);
		printf("},\"stages_ns\":{");
		for (i = 0; i < MV_NR_STAGES; i++)
			printf("%s\"%s\":{\"count\":%llu,\"sum\":%llu,\"mean\":%.0f,\"p50\":%.0f,"
			       "\"p90\":%.0f,\"p99\":%.0f,\"max\":%llu}", i ? "," : "", stage_names[i],
			       h[i].count, h[i].sum, pm_hist_mean(&h[i]), pm_hist_percentile(&h[i], 50),
			       pm_hist_percentile(&h[i], 90), pm_hist_percentile(&h[i], 99), h[i].max);
		printf("},\"reasons_pages\":");
		if (!reasons) {
			printf("null");
		} else {
			for (i = 0; i < MV_NR_REASONS; i++)
				printf("%s\"%s\":%llu", i ? "," : "{", reason_names[i], t->reason_pages[i]);
			printf("}");
		}
		printf("}\n");
		fflush(stdout);
		return;
	}
	printf("migratevma on %s, hooks: %s\n", kernel, mode_names[s->mode]);
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
	if (reasons) {
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
	fflush(stdout);
}

static int finish_log(struct state *s, uint64_t lost)
{
	const struct mv_totals *t = &s->skel->bss->totals;
	struct pm_rec_counter c;
	struct pm_rec_hist rh;
	char err[PM_ERR_LEN];
	uint64_t now = 0;
	struct timespec ts;
	int i;

	if (!clock_gettime(CLOCK_MONOTONIC, &ts))
		now = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	for (i = 0; i < MV_NR_STAGES; i++) {
		memset(&rh, 0, sizeof(rh));
		snprintf(rh.name, sizeof(rh.name), "%s_ns", stage_names[i]);
		read_hist(s->skel, i, &rh.hist);
		pm_log_write(s->log, PM_REC_HIST, 0, now, &rh, sizeof(rh));
	}
	for (i = 0; i < MV_NR_COUNTS + MV_NR_REASONS; i++) {
		memset(&c, 0, sizeof(c));
		if (i < MV_NR_COUNTS) {
			snprintf(c.name, sizeof(c.name), "pages.%s", count_names[i]);
			c.value = t->pages[i];
			c.available = 1;
		} else {
			snprintf(c.name, sizeof(c.name), "reason.%s", reason_names[i - MV_NR_COUNTS]);
			c.value = t->reason_pages[i - MV_NR_COUNTS];
			c.available = s->mode == MODE_TP;
		}
		pm_log_write(s->log, PM_REC_COUNTER, 0, now, &c, sizeof(c));
	}
	if (pm_log_close(s->log, lost, err)) {
		fprintf(stderr, "migratevma: %s\n", err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct state s = {};
	struct ring_buffer *rb = NULL;
	struct utsname uts;
	char why[256] = "", err[PM_ERR_LEN], hooks[64];
	pid_t child = 0;
	int rc = 0, printed = 0;
	time_t next;
	int i;

	/* "-- CMD...": the command to trace; [interval [count]] come before. */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			env.cmd = argv + i + 1;
			argc = i;
			break;
		}
	}
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	if (geteuid() != 0) {
		fprintf(stderr, "migratevma: needs root (CAP_BPF and CAP_PERFMON)\n");
		return 1;
	}
	uname(&uts);
	tool_libbpf_init(env.verbose);

	s.skel = load(&s.mode, why, sizeof(why));
	if (!s.skel) {
		fprintf(stderr, "migratevma: no usable hook for the migrate_vma stages: %s\n", why);
		return 1;
	}
	if (env.verbose)
		fprintf(stderr, "migratevma: stages and reasons via %s\n", mode_names[s.mode]);
	snprintf(hooks, sizeof(hooks), "stages=%s reasons=%s", mode_names[s.mode],
		 s.mode == MODE_TP ? "tp_btf" : "unavailable");
	if (env.output) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		s.log = pm_log_create(env.output, "migratevma", uts.release, hooks,
				      (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec, err);
		if (!s.log) {
			fprintf(stderr, "migratevma: %s\n", err);
			rc = 1;
			goto out;
		}
		/* Stage numbers in the log are enum mv_stage; "total" is no slice. */
		pm_log_name_stages(s.log, stage_names, MV_TOTAL);
	}
	rb = ring_buffer__new(bpf_map__fd(s.skel->maps.events), handle_event, &s, NULL);
	if (!rb) {
		fprintf(stderr, "migratevma: cannot create the ring buffer: %s\n", strerror(errno));
		rc = 1;
		goto out;
	}
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	fprintf(stderr, "migratevma: ready (%s)\n", hooks);

	if (env.cmd && env.cmd[0]) {
		child = fork();
		if (child == 0) {
			execvp(env.cmd[0], env.cmd);
			fprintf(stderr, "migratevma: cannot run %s: %s\n", env.cmd[0], strerror(errno));
			_exit(127);
		}
	}
	next = time(NULL) + env.interval;
	while (!exiting) {
		int status;

		/*
		 * The BPF side wakes us only when the ring fills up: drain it
		 * every 100 ms whether woken or not.
		 */
		if (ring_buffer__poll(rb, 100) < 0 && errno != EINTR)
			break;
		if (ring_buffer__consume(rb) < 0)
			break;
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
		if (env.interval && time(NULL) >= next) {
			print_summary(&s, uts.release);
			next += env.interval;
			if (env.count && ++printed >= env.count)
				break;
		}
	}
	ring_buffer__consume(rb);
	if (!env.interval || !printed)
		print_summary(&s, uts.release);
	if (s.log && finish_log(&s, s.skel->bss->totals.lost_events))
		rc = 1;
	s.log = NULL;
out:
	ring_buffer__free(rb);
	if (s.log)
		pm_log_close(s.log, 0, err);
	migratevma_bpf__destroy(s.skel);
	return rc;
}
