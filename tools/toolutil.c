// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "toolutil.h"

static int print_debug(enum libbpf_print_level level, const char *format, va_list args)
{
	(void)level;
	return vfprintf(stderr, format, args);
}

static int print_quiet(enum libbpf_print_level level, const char *format, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, format, args);
}

void tool_libbpf_init(bool verbose)
{
	libbpf_set_print(verbose ? print_debug : print_quiet);
}

void tool_argp_parse(const struct argp *argp, int argc, char **argv, int usage_status,
		     void *input)
{
	/* argp's own errors (unknown option, missing argument) exit with this. */
	argp_err_exit_status = usage_status;
	if (argp_parse(argp, argc, argv, 0, NULL, input))
		exit(usage_status);	/* a parser returned an error without argp_error() */
}

int tool_usage_status(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			return TOOL_EXIT_FAILED;
	return TOOL_EXIT_USAGE;
}

error_t tool_argp_common(int key, struct argp_state *state)
{
	if (key != 'h')
		return ARGP_ERR_UNKNOWN;
	argp_state_help(state, stdout, ARGP_HELP_STD_HELP);	/* exits 0 */
	return 0;
}

uint64_t tool_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

volatile sig_atomic_t tool_exiting, tool_last_signal;

static void on_signal(int sig)
{
	if (sig != SIGCHLD) {
		tool_exiting = 1;
		tool_last_signal = sig;
	}
}

void tool_handle_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking poll or wait returns with EINTR. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
}

int tool_need_root(const char *name)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "%s: needs root (CAP_BPF and CAP_PERFMON)\n", name);
	return -1;
}

pid_t tool_spawn_stopped(char **argv, int *gate)
{
	int fd[2], err;
	pid_t pid;
	char c;

	if (pipe2(fd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(fd[0]);
		close(fd[1]);
		return -err;
	}
	if (pid == 0) {
		close(fd[1]);
		/* EOF instead of the go byte: the parent gave up (or died). */
		if (read(fd[0], &c, 1) != 1 || c != 'g')
			_exit(TOOL_EXIT_FAILED);
		execvp(argv[0], argv);
		err = errno;
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(err));
		_exit(err == ENOENT ? TOOL_EXIT_NOT_FOUND : TOOL_EXIT_CANNOT_RUN);
	}
	close(fd[0]);
	*gate = fd[1];
	return pid;
}

int tool_release(int gate, bool go)
{
	ssize_t n = go ? write(gate, "g", 1) : 0;

	close(gate);
	return go && n != 1 ? -1 : 0;
}

int tool_exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int tool_run_command(char **argv)
{
	int status, gate;
	pid_t pid = tool_spawn_stopped(argv, &gate);

	if (pid < 0)
		return pid;
	tool_release(gate, true);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return tool_exit_code(status);
}

int tool_parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}
