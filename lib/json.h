/* SPDX-License-Identifier: GPL-2.0 */
/*
 * JSON output: the one writer of pagemove (tracers' --json, balloonctl,
 * pagemove report/diff/timeline).  A streaming writer: it places commas
 * and closes what it opened, escapes every string, and prints non-finite
 * numbers as null, so no caller formats JSON by hand.
 *
 *	struct pm_json j;
 *
 *	pm_json_begin(&j, stdout);
 *	pm_json_obj(&j, NULL);
 *	pm_json_str(&j, "tool", "migratevma");
 *	pm_json_arr(&j, "pages");
 *	pm_json_u64(&j, NULL, 512);
 *	pm_json_end(&j);
 *	pm_json_end(&j);
 *	pm_json_finish(&j);		(newline; 0, or -1 if unbalanced)
 *
 * Inside an object every value takes a key; inside an array and at the
 * top the key is NULL.  Non-finite doubles (pm_json_dbl, pm_json_fixed)
 * are written as null.
 */
#ifndef PAGEMOVE_LIB_JSON_H
#define PAGEMOVE_LIB_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PM_JSON_MAX_DEPTH 32

struct pm_json {
	FILE *f;
	unsigned int depth;
	bool bad;			/* nesting broken: finish says so */
	bool first[PM_JSON_MAX_DEPTH + 1];
	bool array[PM_JSON_MAX_DEPTH + 1];
	bool lines[PM_JSON_MAX_DEPTH + 1];	/* pm_json_arr_lines() */
};

void pm_json_begin(struct pm_json *j, FILE *f);
void pm_json_obj(struct pm_json *j, const char *key);
void pm_json_arr(struct pm_json *j, const char *key);
/*
 * An array with each element, and its closing ']', on a line of its own:
 * for long lists read with line tools (pagemove timeline's traceEvents).
 */
void pm_json_arr_lines(struct pm_json *j, const char *key);
void pm_json_end(struct pm_json *j);
int pm_json_finish(struct pm_json *j);

void pm_json_str(struct pm_json *j, const char *key, const char *v);
void pm_json_u64(struct pm_json *j, const char *key, uint64_t v);
void pm_json_i64(struct pm_json *j, const char *key, int64_t v);
/* %.*g with @prec significant digits (0: shortest that reads back exactly) */
void pm_json_dbl(struct pm_json *j, const char *key, double v, int prec);
/* %.*f with @decimals digits after the point (a fixed-point column) */
void pm_json_fixed(struct pm_json *j, const char *key, double v, int decimals);
void pm_json_bool(struct pm_json *j, const char *key, bool v);
void pm_json_null(struct pm_json *j, const char *key);

struct pm_hist;
/*
 * A histogram as {"count","sum","mean","p50","p90","p99","max"}, the
 * shape of every tracer's "stages_ns" entries (mean and percentiles
 * rounded to integers).
 */
void pm_json_hist(struct pm_json *j, const char *key, const struct pm_hist *h);

/*
 * A JSON string literal on its own: quotes, backslashes and control
 * characters escaped, valid UTF-8 kept, any other byte written as U+FFFD.
 */
void pm_json_quote(FILE *f, const char *s);

#endif
