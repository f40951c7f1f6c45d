// SPDX-License-Identifier: GPL-2.0
/*
 * bpfsmoke - check that BPF works in a pagemove VM: attach an fentry
 * program to zs_malloc() and a tracepoint program to sys_enter_getppid,
 * make N getppid() calls, run a workload command, and print both counts.
 *
 * Exits 0 only if both programs loaded and attached and the tracepoint saw
 * exactly the N calls this process made.  The zs_malloc count is printed for
 * the caller to check against its workload (tests/vm/smoke.sh).
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "smoke.skel.h"
#include "toolutil.h"

static struct env {
	int calls;
	int verbose;
	char **cmd;
} env = { .calls = 1000 };

const char *argp_program_version = "bpfsmoke 0.1";
static const char doc[] =
	"Check that fentry and tracepoint BPF programs load and count.\n"
	"\n"
	"Exits 0 only if both programs load and attach and the tracepoint counts\n"
	"exactly the CALLS getppid() calls made.\n"
	"\vEXAMPLES:\n"
	"    bpfsmoke                      # 1000 getppid() calls, no workload\n"
	"    bpfsmoke -- dd if=/dev/urandom of=/dev/zram0 bs=1M count=16 oflag=direct\n"
	"                                  # also count zs_malloc() during dd\n"
	"\n"
	"EXIT STATUS: 0 success, 1 runtime error (or a wrong count), 2 usage\n"
	"error.  With -- CMD: 125 if bpfsmoke itself failed, else CMD's status.\n";

static const struct argp_option opts[] = {
	{ "calls", 'n', "CALLS", 0, "getppid() calls to make (default 1000)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	TOOL_HELP_OPTION,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	switch (key) {
	case 'n':
		if (tool_parse_int(arg, 1, 10000000, &env.calls))
			argp_error(state, "invalid CALLS: %s", arg);
		break;
	case 'v':
		env.verbose = 1;
		break;
	case ARGP_KEY_ARGS:
		env.cmd = state->argv + state->next;
		break;
	default:
		return tool_argp_common(key, state);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	struct smoke_bpf *skel;
	int err, i, rc = 0, fail = tool_usage_status(argc, argv) == TOOL_EXIT_USAGE ?
		TOOL_EXIT_ERROR : TOOL_EXIT_FAILED;

	tool_argp_parse(&argp, argc, argv, tool_usage_status(argc, argv), NULL);
	if (tool_need_root("bpfsmoke"))
		return fail;
	tool_libbpf_init(env.verbose);

	skel = smoke_bpf__open();
	if (!skel) {
		fprintf(stderr, "bpfsmoke: cannot open BPF object: %s\n", strerror(errno));
		return fail;
	}
	skel->rodata->target_tgid = getpid();
	err = smoke_bpf__load(skel);
	if (err) {
		fprintf(stderr, "bpfsmoke: cannot load BPF programs: %s\n", strerror(-err));
		goto out;
	}
	err = smoke_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "bpfsmoke: cannot attach BPF programs: %s\n", strerror(-err));
		goto out;
	}

	for (i = 0; i < env.calls; i++)
		syscall(SYS_getppid);
	if (env.cmd && env.cmd[0]) {
		rc = tool_run_command(env.cmd);
		if (rc < 0) {
			fprintf(stderr, "bpfsmoke: cannot run %s: %s\n", env.cmd[0], strerror(-rc));
			err = rc;
		} else if (rc) {
			fprintf(stderr, "bpfsmoke: workload exited with %d\n", rc);
		}
	}

	printf("tracepoint syscalls:sys_enter_getppid %llu of %d calls\n",
	       (unsigned long long)skel->bss->getppid_calls, env.calls);
	printf("fentry zs_malloc %llu\n", (unsigned long long)skel->bss->zs_malloc_calls);
	if (skel->bss->getppid_calls != (unsigned long long)env.calls) {
		fprintf(stderr, "bpfsmoke: tracepoint count is wrong\n");
		err = -1;
	}
out:
	smoke_bpf__destroy(skel);
	if (err)
		return fail;
	return rc;
}
