// SPDX-License-Identifier: GPL-2.0
/*
 * pmstat - median, min and max per key, for the bench scripts: reads
 * "KEY VALUE" lines (KEY without blanks) and prints, in the order keys
 * first appear, "KEY N MEDIAN MIN MAX".  The median is lib/stats.c's.
 */
#include <argp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "toolutil.h"

#define MAX_KEYS	256
#define MAX_KEY_LEN	128

struct key {
	char name[MAX_KEY_LEN];
	double *v;
	size_t n, cap;
};

static struct key keys[MAX_KEYS];
static size_t nkeys;

const char *argp_program_version = "pmstat 0.1";
static const char doc[] =
	"Median, min and max of the values of each key.\n"
	"\n"
	"Reads lines \"KEY VALUE\" from standard input; prints \"KEY N MEDIAN MIN MAX\"\n"
	"per key, in the order the keys first appear.  A line that is not a key\n"
	"and a number is an error (exit 1, with its line number).\n"
	"\vEXAMPLES:\n"
	"    printf 'a 3\\na 1\\nb 2\\na 2\\n' | pmstat    # a 3 2 1 3, b 1 2 2 2\n"
	"\n"
	"EXIT STATUS: 0 success, 1 bad input, 2 usage error.\n";

static const struct argp_option opts[] = {
	TOOL_HELP_OPTION,
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	if (key == ARGP_KEY_ARG)
		argp_error(state, "unexpected argument: %s (input is read from stdin)", arg);
	return tool_argp_common(key, state);
}

static struct key *find(const char *name)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	if (nkeys == MAX_KEYS)
		return NULL;
	snprintf(keys[nkeys].name, MAX_KEY_LEN, "%s", name);
	return &keys[nkeys++];
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	char line[512], name[MAX_KEY_LEN], rest[2];
	unsigned long lineno = 0;
	double val;
	size_t i;

	tool_argp_parse(&argp, argc, argv, TOOL_EXIT_USAGE, NULL);
	while (fgets(line, sizeof(line), stdin)) {
		struct key *k;

		lineno++;
		if (sscanf(line, "%127s %lf %1s", name, &val, rest) != 2 || !isfinite(val)) {
			fprintf(stderr, "pmstat: line %lu: not \"KEY VALUE\": %s", lineno, line);
			return TOOL_EXIT_ERROR;
		}
		k = find(name);
		if (!k) {
			fprintf(stderr, "pmstat: more than %d keys\n", MAX_KEYS);
			return TOOL_EXIT_ERROR;
		}
		if (k->n == k->cap) {
			double *v = realloc(k->v, (k->cap ? k->cap * 2 : 16) * sizeof(*v));

			if (!v) {
				fprintf(stderr, "pmstat: %s\n", strerror(errno));
				return TOOL_EXIT_ERROR;
			}
			k->v = v;
			k->cap = k->cap ? k->cap * 2 : 16;
		}
		k->v[k->n++] = val;
	}
	for (i = 0; i < nkeys; i++) {
		double med = pm_median(keys[i].v, keys[i].n);	/* sorts */

		printf("%s %zu %.10g %.10g %.10g\n", keys[i].name, keys[i].n, med, keys[i].v[0],
		       keys[i].v[keys[i].n - 1]);
		free(keys[i].v);
	}
	return TOOL_EXIT_OK;
}
