/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the pagemove loaders in tools/. */
#ifndef PAGEMOVE_TOOLUTIL_H
#define PAGEMOVE_TOOLUTIL_H

#include <stdbool.h>

/* Route libbpf's messages to stderr; debug level only if @verbose. */
void tool_libbpf_init(bool verbose);

/*
 * Run @argv (NULL-terminated) as a child and wait for it.  Returns its exit
 * status, 128 + signal if it was killed, or a negative errno if it could
 * not be started or waited for.
 */
int tool_run_command(char **argv);

/* A whole decimal int in [min, max] into *out: 0, or -1 if @s is not one. */
int tool_parse_int(const char *s, int min, int max, int *out);

#endif /* PAGEMOVE_TOOLUTIL_H */
