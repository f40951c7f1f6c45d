// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for every path of pagemove over a log: the reader
 * (lib/log.c) and each subcommand's core (analysis/analysis.c: report in
 * its three formats, diff, timeline in both, plot's data and its gnuplot
 * program), under ASan and UBSan.  Traps when:
 *  - the fast histogram path and the record-by-record one disagree on the
 *    outcome, the records, or (on a complete log) any histogram;
 *  - a slice the reader hands out has an undeclared stage;
 *  - the gnuplot program plot would run is not made of whitelisted lines
 *    (pm_plot_script_check), or, checked here on its own, has anything
 *    outside its quoted strings that makes gnuplot run or read something
 *    else ("!", system, shell, load, call, backquotes, pipes, "<"), or a
 *    quoted string that is not the data file or a closed-alphabet title;
 *  - plot's data file holds anything but comments, labels and numbers;
 *  - a JSON output's nesting was broken (lib/json's writer says so at the
 *    end: report and plot data return 1, diff and timeline say "internal
 *    error").
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../analysis/analysis.h"

#define DATAFILE "/tmp/pagemove-plot.AbC123"

static struct pm_hist slow[PM_MAX_STAGES], fast[PM_MAX_STAGES];
static struct model model;	/* zero: pm_model_free() after each use */
static FILE *devnull;

/* Read the whole log; the outcome of the last call. */
static int read_log(const uint8_t *data, size_t size, struct pm_hist *hists, int use_fast,
		    uint64_t *records)
{
	char err[PM_ERR_LEN];
	struct pm_log_reader *r = pm_log_open_mem(data, size, err);
	struct pm_rec rec;
	struct pm_slice sl;
	unsigned int i;
	int rc;

	if (!r)
		return -2;
	while ((rc = use_fast ? pm_log_next_hist(r, &rec, hists) : pm_log_next(r, &rec)) > 0) {
		if (rec.hdr.type != PM_REC_SLICES)
			continue;
		for (i = 0; i < pm_slices_count(&rec); i++) {
			pm_slices_get(&rec, i, &sl);
			if (!pm_log_stage_name(r, sl.stage))
				__builtin_trap();
			pm_hist_add(&hists[sl.stage], sl.dur_ns);
		}
	}
	*records = pm_log_records(r);
	pm_log_free(r);
	return rc;
}

/* The harness's own look at a gnuplot program, independent of the whitelist. */
static void check_script_here(char *s)
{
	static const char *const never[] = { "!", "system", "shell", "load", "call", "`", "pipe",
					     "<", "|", "$", "\\", "eval", NULL };
	char *line, *save = NULL, *q;
	int i;

	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* each quoted string: the data file, or letters, digits and " ._,:=+-/()" */
		for (q = line; (q = strchr(q, '\'')); ) {
			char *end = strchr(q + 1, '\'');

			if (!end)
				__builtin_trap();
			if (!((size_t)(end - q - 1) == strlen(DATAFILE) &&
			      !strncmp(q + 1, DATAFILE, strlen(DATAFILE))))
				for (char *c = q + 1; c < end; c++)
					if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						    "0123456789 ._,:=+-/()", *c))
						__builtin_trap();
			memset(q, ' ', (size_t)(end - q + 1));
			q = end + 1;
		}
		for (i = 0; never[i]; i++)
			if (strstr(line, never[i]))
				__builtin_trap();
	}
}

static char *render(const struct model *m, int script, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		abort();
	if (script)
		pm_plot_script(m, f, DATAFILE);
	else
		pm_plot_datafile(m, f);
	fclose(f);
	return buf;
}

/* An error stream to read back: trap if it says "internal error". */
static char *errbuf;
static size_t errlen;

static FILE *err_open(void)
{
	FILE *f = open_memstream(&errbuf, &errlen);

	if (!f)
		abort();
	return f;
}

static void err_check(FILE *f)
{
	fclose(f);
	if (strstr(errbuf, "internal error"))
		__builtin_trap();
	free(errbuf);
	errbuf = NULL;
}

static void subcommands(const uint8_t *data, size_t size)
{
	char err[PM_ERR_LEN];
	struct pm_log_reader *r;
	uint64_t n;
	size_t len;
	char *text;
	FILE *e;
	int f;

	/* timeline streams its own reader */
	for (f = FMT_JSON; f <= FMT_CSV; f++) {
		r = pm_log_open_mem(data, size, err);
		if (!r)
			return;
		e = err_open();
		pm_timeline(r, "(fuzz)", devnull, (enum fmt)f, e, &n);
		err_check(e);
		pm_log_free(r);
	}
	r = pm_log_open_mem(data, size, err);
	if (!r)
		return;
	if (pm_model_load(r, "(fuzz)", &model, devnull)) {
		pm_log_free(r);
		pm_model_free(&model);
		return;
	}
	pm_log_free(r);
	for (f = FMT_TEXT; f <= FMT_CSV; f++)
		if (pm_report(&model, devnull, (enum fmt)f))
			__builtin_trap();
	/* diff bootstraps (costly): one format per input, each in turn */
	e = err_open();
	pm_diff(&model, &model, devnull, (enum fmt)(size % 3), e);
	err_check(e);
	if (pm_plot_count(&model)) {
		if (pm_plot_data(&model, devnull, FMT_JSON) || pm_plot_data(&model, devnull, FMT_CSV))
			__builtin_trap();
		text = render(&model, 0, &len);
		if (pm_plot_data_check(text))
			__builtin_trap();
		free(text);
		text = render(&model, 1, &len);
		if (pm_plot_script_check(text, DATAFILE))
			__builtin_trap();
		check_script_here(text);
		free(text);
	}
	pm_model_free(&model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t n_slow, n_fast;
	int rc;

	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	memset(slow, 0, sizeof(slow));
	memset(fast, 0, sizeof(fast));
	rc = read_log(data, size, slow, 0, &n_slow);
	if (rc == -2)
		return 0;
	if (read_log(data, size, fast, 1, &n_fast) != rc || n_fast != n_slow ||
	    (rc == 0 && memcmp(slow, fast, sizeof(slow))))
		__builtin_trap();
	subcommands(data, size);
	return 0;
}
