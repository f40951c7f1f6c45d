// SPDX-License-Identifier: GPL-2.0
/*
 * tpcheck - count the pagemove series' tracepoints next to independent
 * fentry/fexit counts of the functions they sit in, while a workload runs.
 * Prints one "name value" line per counter (include/pagemove/tpcheck.h).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "pagemove/tpcheck.h"
#include "tpcheck.skel.h"
#include "toolutil.h"

static struct env {
	bool verbose;
	const char *output;
	char **cmd;
} env;

const char *argp_program_version = "tpcheck 0.1";
static const char doc[] =
	"Count the series' tracepoints and, independently, the functions they\n"
	"sit in (fentry/fexit), while CMD runs or until SIGINT/SIGTERM.\n"
	"Needs a kernel with the pagemove series (its events are attached by name).\n"
	"\n"
	"\vEXAMPLES:\n"
	"    tpcheck -- ./hmm-tests        # counts while hmm-tests runs\n"
	"    tpcheck -o counts.txt &       # counts until killed with SIGINT\n"
	"\n"
	"EXIT STATUS: 0 success, 1 runtime error, 2 usage error.  With -- CMD:\n"
	"CMD's status; 125 if tpcheck itself failed, 126/127 if CMD cannot be\n"
	"run / is not found, 128+N if it was killed by signal N.\n";

static const struct argp_option opts[] = {
	{ "output", 'o', "FILE", 0, "write the counters to FILE (default stdout)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	TOOL_HELP_OPTION,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'o':
		env.output = arg;
		break;
	case 'v':
		env.verbose = true;
		break;
	case ARGP_KEY_ARGS:
		env.cmd = state->argv + state->next;
		break;
	default:
		return tool_argp_common(key, state);
	}
	return 0;
}

static int dump(const struct tpcheck_counts *c, const char *path)
{
	FILE *f = path ? fopen(path, "w") : stdout;

	if (!f) {
		fprintf(stderr, "tpcheck: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
#define X(name) fprintf(f, "%s %llu\n", #name, c->name);
	TPCHECK_COUNTERS
#undef X
#define R(name) fprintf(f, "tp_md_reason_%s %llu\n", #name, \
			c->md_reason_pages[TPCHECK_MD_##name]);
	TPCHECK_MD_REASONS
#undef R
	if (path && fclose(f)) {
		fprintf(stderr, "tpcheck: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct bpf_program *prog;
	struct tpcheck_bpf *skel;
	int err = 0, rc = 0, missing = 0, fail = tool_usage_status(argc, argv) == TOOL_EXIT_USAGE ?
		TOOL_EXIT_ERROR : TOOL_EXIT_FAILED;

	tool_argp_parse(&argp, argc, argv, tool_usage_status(argc, argv), NULL);
	if (tool_need_root("tpcheck"))
		return fail;
	tool_libbpf_init(env.verbose);

	skel = tpcheck_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "tpcheck: cannot load BPF programs: %s\n", strerror(errno));
		return fail;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);
		struct bpf_link *link = bpf_program__attach(prog);

		/*
		 * A tracepoint the running kernel does not have (ENOENT), or
		 * has with fewer arguments than the program reads (EINVAL):
		 * its counters stay 0 and the caller is told, so that a kernel
		 * with another version of the series fails the checks that
		 * need it.
		 */
		if (!link && (errno == ENOENT || errno == EINVAL) &&
		    !strncmp(sec, "raw_tp/", 7)) {
			printf("tpcheck: no tracepoint %s%s\n", sec + 7,
			       errno == EINVAL ? " with these arguments" : "");
			missing++;
			continue;
		}
		if (!link) {
			fprintf(stderr, "tpcheck: cannot attach %s (%s): %s%s\n",
				bpf_program__name(prog), bpf_program__section_name(prog),
				strerror(errno),
				errno == ENOENT ? " (kernel without the pagemove series?)" : "");
			err = 1;
			goto out;
		}
		/* Links are freed with the object; the process exits right after. */
	}

	tool_handle_signals();
	printf("tpcheck: ready (%d tracepoints missing)\n", missing);
	fflush(stdout);

	if (env.cmd && env.cmd[0]) {
		rc = tool_run_command(env.cmd);
		if (rc < 0) {
			fprintf(stderr, "tpcheck: cannot run %s: %s\n", env.cmd[0], strerror(-rc));
			err = 1;
		} else if (rc) {
			fprintf(stderr, "tpcheck: workload exited with %d\n", rc);
		}
	} else {
		while (!tool_exiting)
			pause();
	}
	if (dump(&skel->bss->counts, env.output))
		err = 1;
out:
	tpcheck_bpf__destroy(skel);
	return err ? fail : rc;
}
