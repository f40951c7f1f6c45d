// SPDX-License-Identifier: GPL-2.0
/* The pagemove tracer framework (tracer.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "tracer.h"
#include "toolutil.h"

static const char *const mode_names[PM_NR_MODES] = { "auto", "tp_btf", "fentry", "kprobe",
							   "tracepoint" };

const char *pm_mode_name(enum pm_mode m)
{
	return m < PM_NR_MODES ? mode_names[m] : "?";
}

struct pm_run {
	const struct pm_tracer *t;
	/* options */
	pid_t pid;
	bool children;
	bool verbose;
	bool json;
	enum pm_mode want;
	const char *output;
	int interval;
	int count;
	char **cmd;
	/* state */
	void *skel;
	struct bpf_object *obj;
	enum pm_mode mode;
	struct pm_log_writer *log;
	struct utsname uts;
	uint64_t start_ns;	/* before the hooks were attached */
	struct pm_snapshot snap;
};

void *pm_run_skel(const struct pm_run *run) { return run->skel; }
enum pm_mode pm_run_mode(const struct pm_run *run) { return run->mode; }
bool pm_run_json(const struct pm_run *run) { return run->json; }
const char *pm_run_kernel(const struct pm_run *run) { return run->uts.release; }
int pm_run_pid(const struct pm_run *run) { return run->pid; }
bool pm_run_filtered(const struct pm_run *run) { return run->pid || run->cmd; }
struct pm_log_writer *pm_run_log(struct pm_run *run) { return run->log; }

void pm_run_slice(struct pm_run *run, const struct pm_slice *s)
{
	/* A failed write latches in the writer; pm_log_close() reports it. */
	if (run->log)
		pm_log_slice(run->log, s);
}

/* --- options -------------------------------------------------------------- */

enum { OPT_CHILDREN = 'f' };

static const struct argp_option common_opts[] = {
	{ "pid", 'p', "PID", 0, "trace this process only (its threads; -f: and children)", 0 },
	{ "children", OPT_CHILDREN, NULL, 0, "with -p: also the children it forks from now on", 0 },
	{ NULL, 'C', NULL, OPTION_ALIAS, NULL, 0 },
	{ "write", 'w', "FILE", 0, "write an event log (pagemove report FILE)", 0 },
	{ "json", 'j', NULL, 0, "summary as one JSON line", 0 },
	{ "hook", 'H', "MODE", 0, "auto (default), tp_btf, fentry, kprobe or tracepoint", 0 },
	{ "verbose", 'v', NULL, 0, "say which hooks are used and why; libbpf debug output", 0 },
	TOOL_HELP_OPTION,
	{},
};

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	struct pm_run *run = state->input;
	static int pos;
	int v;

	switch (key) {
	case 'p':
		if (tool_parse_int(arg, 1, 0x7fffffff, &v))
			argp_error(state, "invalid PID: %s", arg);
		run->pid = v;
		break;
	case OPT_CHILDREN:
	case 'C':
		run->children = true;
		break;
	case 'w':
		run->output = arg;
		break;
	case 'j':
		run->json = true;
		break;
	case 'v':
		run->verbose = true;
		break;
	case 'H':
		for (v = 0; v < PM_NR_MODES; v++)
			if (!strcmp(arg, mode_names[v]))
				break;
		if (v == PM_NR_MODES)
			argp_error(state, "invalid hook mode: %s (auto, tp_btf, fentry, kprobe, tracepoint)", arg);
		run->want = v;
		break;
	case ARGP_KEY_ARG:
		if (pos == 0) {
			if (tool_parse_int(arg, 1, 3600, &run->interval))
				argp_error(state, "invalid interval: %s", arg);
			run->count = 0;
		} else if (pos == 1) {
			if (tool_parse_int(arg, 1, 1000000, &run->count))
				argp_error(state, "invalid count: %s", arg);
		} else {
			argp_error(state, "unexpected argument: %s (a command goes after --)", arg);
		}
		pos++;
		break;
	case ARGP_KEY_END:
		if (run->children && !run->pid)
			argp_error(state, "-f needs -p PID (-- CMD always follows children)");
		if (run->pid && run->cmd)
			argp_error(state, "-p and -- CMD exclude each other");
		break;
	default:
		return tool_argp_common(key, state);
	}
	return 0;
}

/*
 * The first "--" that is not an option's argument ends the options: what
 * follows is CMD (argp would take CMD's words as positionals).
 */
static int find_cmd(int argc, char **argv)
{
	static const char *const with_arg[] = { "--pid", "--write", "--hook", NULL };
	int i, j;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i;
		for (j = 0; with_arg[j]; j++)
			if (!strcmp(argv[i], with_arg[j]))
				i++;
		if (argv[i] && argv[i][0] == '-' && argv[i][1] != '-' && argv[i][1]) {
			const char *c;

			for (c = argv[i] + 1; *c; c++)
				if (strchr("pwH", *c)) {
					if (!c[1])
						i++;
					break;
				}
		}
	}
	return 0;
}

static char *build_doc(const struct pm_tracer *t)
{
	static const char exits[] =
		"EXIT STATUS:\n"
		"  0 success, 1 runtime error, 2 usage error.  With -- CMD: CMD's exit\n"
		"  status; 125 if the tracer itself failed (usage errors included),\n"
		"  126 if CMD cannot be run, 127 if it is not found, 128+N if CMD was\n"
		"  killed by signal N.\n";
	char *doc;

	if (asprintf(&doc, "%s\vEXAMPLES:\n%s\n%s", t->doc, t->examples, exits) < 0)
		return NULL;
	return doc;
}

/* --- hooks ---------------------------------------------------------------- */

static bool is_framework(const struct bpf_program *p)
{
	return !strncmp(bpf_program__name(p), "pm_", 3);
}

/* The mode of a program from its SEC(); PM_MODE_AUTO: every mode's. */
static enum pm_mode mode_of(const struct bpf_program *p, const char **target)
{
	static const struct { const char *prefix; enum pm_mode mode; } pfx[] = {
		{ "tp_btf/", PM_MODE_TP },
		{ "fentry/", PM_MODE_FENTRY },
		{ "fexit/", PM_MODE_FENTRY },
		{ "kprobe/", PM_MODE_KPROBE },
		{ "kretprobe/", PM_MODE_KPROBE },
		{ "tracepoint/", PM_MODE_TRACEPOINT },
		{ "uprobe", PM_MODE_TRACEPOINT },
		{ "uretprobe", PM_MODE_TRACEPOINT },
	};
	const char *sec = bpf_program__section_name(p);
	size_t i, n;

	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		n = strlen(pfx[i].prefix);
		if (!strncmp(sec, pfx[i].prefix, n)) {
			*target = sec + n;
			return pfx[i].mode;
		}
	}
	*target = sec;
	return PM_MODE_AUTO;
}

#define MAX_PROGS 64

static bool name_in(const char *name, const char *const *list)
{
	for (; list && *list; list++)
		if (!strcmp(name, *list))
			return true;
	return false;
}

/* Is @p loaded in mode @m (its own SEC() mode @own)? */
static bool prog_in_mode(const struct pm_tracer *t, const struct bpf_program *p,
			 enum pm_mode own, enum pm_mode m)
{
	const char *name = bpf_program__name(p);

	if (own == m)
		return true;
	return t->shared_prefix && (t->shared_modes & (1U << m)) &&
	       !strncmp(name, t->shared_prefix, strlen(t->shared_prefix));
}

/* The first of @names (@n of them) that /proc/kallsyms lacks; NULL if none. */
static const char *kallsyms_missing(const char **names, int n)
{
	bool found[MAX_PROGS] = { false };
	char line[256], sym[128];
	int i, left = n;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return n ? names[0] : NULL;
	while (left && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %127s", sym) != 1)
			continue;
		for (i = 0; i < n; i++)
			if (!found[i] && !strcmp(sym, names[i])) {
				found[i] = true;
				left--;
			}
	}
	fclose(f);
	for (i = 0; i < n; i++)
		if (!found[i])
			return names[i];
	return NULL;
}

/* Whether tracefs (or debugfs's copy) has event CAT/NAME. */
static bool tracefs_has(const char *event)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s", roots[i], event);
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

/*
 * Whether every program of mode @m can attach on this kernel, judged from
 * the names in their SEC()s: btf_trace_X for tp_btf/X, a BTF FUNC for
 * fentry/F and fexit/F, /proc/kallsyms for kprobe/F and kretprobe/F.  If
 * not, the first missing hook in @why.
 */
static bool mode_available(const struct pm_tracer *t, struct bpf_object *obj,
			   const struct btf *btf, enum pm_mode m, bool verbose,
			   const char *hint, char *why, size_t len)
{
	const char *target, *ksyms[MAX_PROGS], *missing = NULL, *what = "";
	struct bpf_program *p;
	enum pm_mode own;
	char name[160];
	int n = 0, nk = 0;

	bpf_object__for_each_program(p, obj) {
		if (is_framework(p))
			continue;
		own = mode_of(p, &target);
		if (!prog_in_mode(t, p, own, m))
			continue;
		n++;
		if (own == PM_MODE_TP) {
			snprintf(name, sizeof(name), "btf_trace_%s", target);
			if (btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) < 0) {
				missing = target;
				what = "tracepoint %s is not in this kernel";
				break;
			}
		} else if (own == PM_MODE_FENTRY) {
			if (btf__find_by_name_kind(btf, target, BTF_KIND_FUNC) < 0) {
				if (name_in(bpf_program__name(p), t->optional)) {
					if (verbose)
						fprintf(stderr, "%s: optional hook %s() is not in "
							"the kernel's BTF: not used\n", t->name,
							target);
					bpf_program__set_autoload(p, false);
					continue;
				}
				missing = target;
				what = "%s() is not in the kernel's BTF (inlined or renamed)";
				break;
			}
		} else if (m == PM_MODE_TRACEPOINT) {
			if (!strncmp(target, "uprobe", 6) || !strncmp(target, "uretprobe", 9))
				continue;	/* optional: the tracer attaches them */
			if (!tracefs_has(target)) {
				missing = target;
				what = "tracepoint %s is not in tracefs (is it mounted? "
				       "mount -t tracefs tracefs /sys/kernel/tracing)";
				break;
			}
		} else if (nk < MAX_PROGS) {
			ksyms[nk++] = target;
		}
	}
	if (!n) {
		snprintf(why, len, "this tracer has no %s programs", mode_names[m]);
		return false;
	}
	if (!missing && m == PM_MODE_KPROBE && (missing = kallsyms_missing(ksyms, nk)))
		what = "%s() is not in /proc/kallsyms";
	if (!missing)
		return true;
	snprintf(name, sizeof(name), what, missing);
	snprintf(why, len, "%s%s%s", name, hint ? " " : "", hint ? hint : "");
	return false;
}

static bool has_mode(struct bpf_object *obj, enum pm_mode m)
{
	struct bpf_program *p;
	const char *target;

	bpf_object__for_each_program(p, obj)
		if (!is_framework(p) && mode_of(p, &target) == m)
			return true;
	return false;
}

static void autoload(struct pm_run *run, enum pm_mode m)
{
	const struct pm_tracer *t = run->t;
	bool filter = run->pid || run->cmd, follow = run->cmd || run->children;
	struct bpf_program *p;
	const char *target;

	bpf_object__for_each_program(p, run->obj) {
		const char *name = bpf_program__name(p);
		enum pm_mode pm = mode_of(p, &target);
		bool on;

		if (!strcmp(name, "pm_fork"))
			on = follow;
		else if (!strcmp(name, "pm_exit"))
			on = filter;
		else if (name_in(name, t->optional) && !bpf_program__autoload(p))
			on = false;	/* mode_available() found its hook missing */
		else
			on = pm == PM_MODE_AUTO || prog_in_mode(t, p, pm, m);
		bpf_program__set_autoload(p, on);
	}
}

/*
 * Open, choose the hooks, load and attach: the first mode, in the order
 * tp_btf, fentry, kprobe (or the one of -H), whose hooks this kernel has
 * and which loads.  Why each mode was passed over goes to @why.
 */
static int load(struct pm_run *run, char *why, size_t len)
{
	const struct pm_skel_ops *ops = run->t->skel;
	struct btf *btf = btf__load_vmlinux_btf();
	char r[PM_NR_MODES][256] = { "" };
	enum pm_mode m;
	size_t off = 0;
	void *skel;
	int err;

	if (!btf) {
		snprintf(why, len, "no kernel BTF (/sys/kernel/btf/vmlinux): CO-RE needs "
			 "CONFIG_DEBUG_INFO_BTF");
		return -1;
	}
	for (m = PM_MODE_TP; m < PM_NR_MODES; m++) {
		if (run->want != PM_MODE_AUTO && run->want != m)
			continue;
		skel = ops->open();
		if (!skel) {
			snprintf(r[m], sizeof(r[m]), "cannot open the BPF object: %s",
				 strerror(errno));
			break;
		}
		run->obj = ops->obj(skel);
		if (m == PM_MODE_TRACEPOINT && run->want == PM_MODE_AUTO &&
		    !has_mode(run->obj, m)) {
			ops->destroy(skel);	/* not this tracer's: no reason to give */
			continue;
		}
		if (!mode_available(run->t, run->obj, btf, m, run->verbose, run->t->hint[m], r[m],
				    sizeof(r[m]))) {
			if (run->verbose)
				fprintf(stderr, "%s: %s hooks unavailable: %s\n", run->t->name,
					mode_names[m], r[m]);
			ops->destroy(skel);
			continue;
		}
		ops->knobs(skel, run->pid || run->cmd, run->output != NULL);
		autoload(run, m);
		err = ops->load(skel);
		if (!err)
			err = ops->attach(skel);
		if (!err) {
			btf__free(btf);
			run->skel = skel;
			run->mode = m;
			return 0;
		}
		snprintf(r[m], sizeof(r[m]), "refused: %s", strerror(-err));
		if (run->verbose)
			fprintf(stderr, "%s: %s hooks %s\n", run->t->name, mode_names[m], r[m]);
		ops->destroy(skel);
	}
	btf__free(btf);
	run->obj = NULL;
	for (m = PM_MODE_TP; m < PM_NR_MODES && off < len; m++)
		if (r[m][0])
			off += snprintf(why + off, len - off, "%s%s: %s", off ? "; " : "",
					mode_names[m], r[m]);
	return -1;
}

/* --- filter ---------------------------------------------------------------- */

static int add_tgid(struct pm_run *run, pid_t pid)
{
	struct bpf_map *map = bpf_object__find_map_by_name(run->obj, "pm_tgids");
	uint32_t key = (uint32_t)pid;
	uint8_t one = 1;

	if (!map || bpf_map__update_elem(map, &key, sizeof(key), &one, sizeof(one), BPF_ANY)) {
		fprintf(stderr, "%s: cannot register pid %d: %s\n", run->t->name, pid,
			map ? strerror(errno) : "no pm_tgids map (bpf/tracer.bpf.h)");
		return -1;
	}
	return 0;
}

/* The thread group of @pid (a thread id is accepted for its process). */
static pid_t tgid_of(pid_t pid)
{
	char path[64], line[128];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/* --- snapshot, summary, log ---------------------------------------------- */

static int read_hist(struct pm_run *run, struct bpf_map *map, uint32_t key, struct pm_hist *out)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	struct pm_hist *v;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return -1;
	if (bpf_map__lookup_elem(map, &key, sizeof(key), v, sizeof(*v) * ncpu, 0)) {
		fprintf(stderr, "%s: cannot read histogram %u: %s\n", run->t->name, key,
			strerror(errno));
		free(v);
		return -1;
	}
	for (i = 0; i < ncpu; i++)
		pm_hist_merge(out, &v[i]);
	free(v);
	return 0;
}

/*
 * Runs of the loaded programs that the kernel skipped because the same
 * program was already running on that CPU (a run preempted, or interrupted
 * by an event it also traces): bpf_prog_info.recursion_misses, Linux 5.12+.
 * Every count and check misses the events of those runs; a tracer that
 * pairs an entry with an exit must not take a missed one for a match.
 * Sets *worst to the program that missed most (NULL: none missed).
 */
static uint64_t missed_runs(struct pm_run *run, const char **worst, bool *known)
{
	const __u32 need = offsetof(struct bpf_prog_info, recursion_misses) +
			   sizeof(((struct bpf_prog_info *)0)->recursion_misses);
	struct bpf_program *p;
	uint64_t sum = 0, most = 0;

	*worst = NULL;
	*known = false;
	bpf_object__for_each_program(p, run->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!bpf_program__autoload(p) || bpf_program__fd(p) < 0 ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len) || len < need)
			continue;	/* before 5.12 the kernel does not say */
		*known = true;
		sum += info.recursion_misses;
		if (info.recursion_misses > most) {
			most = info.recursion_misses;
			*worst = bpf_program__name(p);
		}
	}
	return sum;
}

static int take_snapshot(struct pm_run *run)
{
	struct bpf_map *map = bpf_object__find_map_by_name(run->obj, run->t->hist_map);
	struct pm_snapshot *s = &run->snap;
	unsigned int i;
	bool known;
	int err = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < run->t->nr_stages; i++)
		err |= map ? read_hist(run, map, i, &s->hist[i]) : -1;
	run->t->snapshot(run, s);
	s->missed = missed_runs(run, &s->missed_worst, &known);
	/* In the log as every tracer's last counter. */
	if (s->nr_counters < PM_TRACER_MAX_COUNTERS)
		s->counter[s->nr_counters++] = (struct pm_counter){
			.group = "bpf", .name = "missed_runs", .value = s->missed,
			.available = known,
		};
	return err;
}

static int create_log(struct pm_run *run)
{
	char err[PM_ERR_LEN];

	run->log = pm_log_create(run->output, run->t->name, run->uts.release,
				 run->t->hooks[run->mode], run->start_ns, err);
	if (!run->log) {
		fprintf(stderr, "%s: %s\n", run->t->name, err);
		return -1;
	}
	/* Stage numbers in the log are the tracer's; the rest have no slices. */
	pm_log_name_stages(run->log, run->t->stages, run->t->nr_slice_stages);
	if (run->t->log_begin && run->t->log_begin(run, run->log)) {
		fprintf(stderr, "%s: cannot declare the log's record kinds\n", run->t->name);
		return -1;
	}
	return 0;
}

/* Everything but the slices: histograms, counters, the end record. */
static int finish_log(struct pm_run *run)
{
	const struct pm_snapshot *s = &run->snap;
	uint64_t now = tool_now_ns();
	struct pm_rec_counter c;
	struct pm_rec_hist rh;
	char err[PM_ERR_LEN];
	unsigned int i;
	int rc;

	for (i = 0; i < run->t->nr_stages; i++) {
		memset(&rh, 0, sizeof(rh));
		snprintf(rh.name, sizeof(rh.name), "%s_ns", run->t->stages[i]);
		snprintf(rh.unit, sizeof(rh.unit), "ns");
		rh.hist = s->hist[i];
		pm_log_write(run->log, PM_REC_HIST, 0, now, &rh, sizeof(rh));
	}
	for (i = 0; i < s->nr_counters; i++) {
		memset(&c, 0, sizeof(c));
		snprintf(c.name, sizeof(c.name), "%s.%s", s->counter[i].group, s->counter[i].name);
		c.value = s->counter[i].value;
		c.available = s->counter[i].available;
		if (s->counter[i].unit)
			snprintf(c.unit, sizeof(c.unit), "%s", s->counter[i].unit);
		pm_log_write(run->log, PM_REC_COUNTER, 0, now, &c, sizeof(c));
	}
	rc = pm_log_close(run->log, s->lost, err);
	run->log = NULL;
	if (rc) {
		fprintf(stderr, "%s: %s\n", run->t->name, err);
		return -1;
	}
	return 0;
}

static void summarize(struct pm_run *run)
{
	uint64_t full;

	if (take_snapshot(run))
		fprintf(stderr, "%s: WARNING: histograms incomplete\n", run->t->name);
	run->t->summary(run, &run->snap);
	fflush(stdout);
	if (run->snap.missed)
		fprintf(stderr, "%s: WARNING: the kernel skipped %llu runs of the BPF programs "
			"(the same program already running on that CPU; most: %s; any process's): "
			"the events of those runs are not counted or checked\n", run->t->name,
			(unsigned long long)run->snap.missed, run->snap.missed_worst);
	full = run->t->skel->tgids_full(run->skel);
	if (full)
		fprintf(stderr, "%s: WARNING: %llu processes forked by traced ones were not "
			"followed (more than %d)\n", run->t->name, (unsigned long long)full,
			PM_MAX_TGIDS);
}

/* --- the run loop ----------------------------------------------------------- */

static int handle_event(void *ctx, void *data, size_t size)
{
	struct pm_run *run = ctx;

	return run->t->event(run, data, size);
}

static int wait_child(pid_t child, int *status, bool block)
{
	pid_t r;

	do
		r = waitpid(child, status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	return r == child;
}

int pm_tracer_main(const struct pm_tracer *t, int argc, char **argv)
{
	static struct pm_run run;
	struct argp argp = { .options = common_opts, .parser = parse_common,
			     .args_doc = "[interval [count]] [-- CMD [ARGS...]]" };
	struct ring_buffer *rb = NULL;
	int dashdash, fail, rc = 0, printed = 0, status, gate = -1;
	char why[1024] = "";
	bool done = false, poll_failed = false;
	pid_t child = 0;
	uint64_t next;
	int err;

	argp_program_version = t->version;
	run.t = t;
	run.count = 1;
	dashdash = find_cmd(argc, argv);
	if (dashdash) {
		run.cmd = argv + dashdash + 1;
		argc = dashdash;
		if (!run.cmd[0]) {
			fprintf(stderr, "%s: nothing to run after --\n", t->name);
			return TOOL_EXIT_FAILED;
		}
	}
	/* With -- CMD, every status but 125 may be CMD's. */
	fail = run.cmd ? TOOL_EXIT_FAILED : TOOL_EXIT_ERROR;
	argp.doc = build_doc(t);
	tool_argp_parse(&argp, argc, argv, run.cmd ? TOOL_EXIT_FAILED : TOOL_EXIT_USAGE, &run);
	if (run.pid) {
		pid_t tgid = tgid_of(run.pid);

		if (tgid <= 0) {
			fprintf(stderr, "%s: no process %d\n", t->name, run.pid);
			return fail;
		}
		run.pid = tgid;
	}
	if (tool_need_root(t->name))
		return fail;
	uname(&run.uts);
	tool_libbpf_init(run.verbose);

	/*
	 * The log starts before the hooks attach: an event that ends between
	 * the two is still inside the log's time (the writer refuses one that
	 * ends before its start).
	 */
	run.start_ns = tool_now_ns();
	if (load(&run, why, sizeof(why))) {
		fprintf(stderr, "%s: no usable hooks: %s\n", t->name, why);
		return fail;
	}
	if (run.verbose)
		fprintf(stderr, "%s: hooks: %s (%s)%s\n", t->name, mode_names[run.mode],
			t->hooks[run.mode], run.pid || run.cmd ? ", filtered by process" : "");
	if (run.pid && add_tgid(&run, run.pid))
		goto failed;
	if (run.output && create_log(&run))
		goto failed;
	if (t->events_map) {
		struct bpf_map *m = bpf_object__find_map_by_name(run.obj, t->events_map);

		rb = m ? ring_buffer__new(bpf_map__fd(m), handle_event, &run, NULL) : NULL;
		if (!rb) {
			fprintf(stderr, "%s: cannot create the ring buffer: %s\n", t->name,
				m ? strerror(errno) : "no such map");
			goto failed;
		}
	}
	tool_handle_signals();
	if (run.cmd) {
		/* Registered before it can exec: nothing it does is missed. */
		child = tool_spawn_stopped(run.cmd, &gate);
		if (child < 0) {
			fprintf(stderr, "%s: cannot fork: %s\n", t->name, strerror(-child));
			child = 0;
			goto failed;
		}
		if (add_tgid(&run, child))
			goto failed;
	}
	if (t->attached && t->attached(&run))
		goto failed;
	fprintf(stderr, "%s: ready (%s)\n", t->name, t->hooks[run.mode]);
	if (child && tool_release(gate, true)) {
		gate = -1;
		fprintf(stderr, "%s: cannot start %s\n", t->name, run.cmd[0]);
		goto failed;
	}
	gate = -1;

	next = tool_now_ns() + (uint64_t)run.interval * 1000000000ULL;
	while (!done) {
		/*
		 * The BPF side need not wake us up for each event: drain the
		 * ring every 100 ms whether woken or not.  Signals (SIGCHLD
		 * too) end the wait early.
		 */
		if (rb && (err = ring_buffer__poll(rb, 100)) < 0 && err != -EINTR) {
			/* The tracer failed, whatever CMD does: say so, exit 125/1. */
			fprintf(stderr, "%s: reading events failed: %s\n", t->name, strerror(-err));
			poll_failed = true;
			break;
		}
		if (!rb)
			usleep(100000);
		if (tool_exiting && child) {
			/* Pass it on, like timeout(1), and wait for CMD. */
			kill(child, tool_last_signal);
			tool_exiting = 0;
		}
		done = tool_exiting;
		if (child && wait_child(child, &status, false)) {
			rc = tool_exit_code(status);
			child = 0;
			done = true;
		}
		if (run.interval && tool_now_ns() >= next) {
			summarize(&run);
			next += (uint64_t)run.interval * 1000000000ULL;
			if (run.count && ++printed >= run.count)
				done = true;
		}
	}
	if (child) {	/* count reached, or poll failed: stop CMD */
		kill(child, SIGTERM);
		wait_child(child, &status, true);
		rc = tool_exit_code(status);
		child = 0;
	}
	/*
	 * Detach first: the last snapshot then reads per-CPU histograms that
	 * no program is still updating, so none is read half-updated (a count
	 * that disagrees with its slots, which the log writer refuses).
	 */
	t->skel->detach(run.skel);
	if (rb)
		ring_buffer__consume(rb);
	if (!run.interval || !printed)
		summarize(&run);
	else
		take_snapshot(&run);
	if (run.log && finish_log(&run))
		rc = fail;
	if (poll_failed)
		rc = fail;
	ring_buffer__free(rb);
	t->skel->destroy(run.skel);
	return rc;

failed:
	if (gate >= 0)
		tool_release(gate, false);	/* CMD exits 125 without running */
	if (child)
		wait_child(child, &status, true);
	ring_buffer__free(rb);
	if (run.log) {
		char err[PM_ERR_LEN];

		pm_log_close(run.log, 0, err);
	}
	t->skel->destroy(run.skel);
	return fail;
}
