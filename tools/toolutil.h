/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by every program in tools/: the command-line and exit
 * code conventions, the clock, signals, the root check, running a command.
 *
 * Exit codes, the same in every tool (README, "Exit codes"):
 *   0 success, 1 runtime or data error, 2 usage error;
 * with "-- CMD" a tracer exits with CMD's status, and with
 *   125 if the tracer itself failed (usage errors included),
 *   126 if CMD was found but could not be run, 127 if it was not found,
 *   128 + N if CMD was killed by signal N.
 */
#ifndef PAGEMOVE_TOOLUTIL_H
#define PAGEMOVE_TOOLUTIL_H

#include <argp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TOOL_EXIT_OK		0
#define TOOL_EXIT_ERROR		1
#define TOOL_EXIT_USAGE		2
#define TOOL_EXIT_FAILED	125	/* with -- CMD: the tool itself failed */
#define TOOL_EXIT_CANNOT_RUN	126
#define TOOL_EXIT_NOT_FOUND	127

/* Route libbpf's messages to stderr; debug level only if @verbose. */
void tool_libbpf_init(bool verbose);

/*
 * argp_parse() with the conventions: "-h" is --help, usage errors exit
 * @usage_status (TOOL_EXIT_USAGE, or TOOL_EXIT_FAILED with -- CMD), --help
 * and --version exit 0.  Add TOOL_HELP_OPTION to every option table.
 */
#define TOOL_HELP_OPTION \
	{ NULL, 'h', NULL, OPTION_HIDDEN, "same as --help", 0 }
void tool_argp_parse(const struct argp *argp, int argc, char **argv, int usage_status,
		     void *input);
/* TOOL_EXIT_FAILED if @argv has a "--" (a command follows), else TOOL_EXIT_USAGE. */
int tool_usage_status(int argc, char **argv);
/* For parsers: handles 'h'; returns ARGP_ERR_UNKNOWN for other keys. */
error_t tool_argp_common(int key, struct argp_state *state);

/* CLOCK_MONOTONIC in nanoseconds: the clock of the BPF programs and logs. */
uint64_t tool_now_ns(void);

/*
 * SIGINT and SIGTERM set tool_exiting (and tool_last_signal) without
 * SA_RESTART, so a blocking poll returns; SIGCHLD only interrupts.
 */
extern volatile sig_atomic_t tool_exiting, tool_last_signal;
void tool_handle_signals(void);

/* 0 if running as root; else prints "NAME: needs root (...)" and -1. */
int tool_need_root(const char *name);

/*
 * Start @argv (NULL-terminated) as a child that waits, before its exec,
 * until tool_release() is called: the caller can register its pid first.
 * *@gate gets the fd to release it with.  The pid, or -errno.
 */
pid_t tool_spawn_stopped(char **argv, int *gate);
/* Let the child of tool_spawn_stopped() exec (0), or make it exit (abort). */
int tool_release(int gate, bool go);
/*
 * The exit code of a waitpid() status: its exit status, or 128 + signal.
 */
int tool_exit_code(int status);
/*
 * Run @argv as a child and wait for it: its exit code (tool_exit_code(),
 * 126/127 if it could not be run), or -errno if it could not be started.
 */
int tool_run_command(char **argv);

/* A whole decimal int in [min, max] into *out: 0, or -1 if @s is not one. */
int tool_parse_int(const char *s, int min, int max, int *out);

#endif /* PAGEMOVE_TOOLUTIL_H */
