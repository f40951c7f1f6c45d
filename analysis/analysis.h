/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cores of `pagemove report|diff|timeline|plot`: each a function over
 * a log reader (or the model read from one) and output FILE*s, so that
 * the CLI (pagemove.c) and the fuzz target (tests/fuzz/fuzz_pagemove.c)
 * run the same code.  Everything a core knows about a log comes from what
 * the log declares (stages, histograms and counters with their units,
 * event and span kinds with their fields); no tracer's names are
 * compiled in.  Errors go to @err as "pagemove: FILE: what at offset N".
 */
#ifndef PAGEMOVE_ANALYSIS_H
#define PAGEMOVE_ANALYSIS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hist_api.h"
#include "log_api.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV };

#define MAX_ENUM_VALUES 32	/* distinct values counted per enum field; more: "other" */
#define MAX_LISTED 20		/* records of an event kind that report lists whole */

struct named_hist {
	char name[PM_NAME_LEN];		/* as in the log */
	char display[PM_NAME_LEN];	/* name without its "_<unit>" suffix */
	char unit[PM_UNIT_LEN];
	int is_stage;			/* display is a declared stage's name */
	struct pm_hist h;
};

struct counter {
	char name[PM_NAME_LEN];
	char unit[PM_UNIT_LEN];
	unsigned long long value;
	int available;
};

/* What report shows of a declared event or span kind. */
struct kind_stats {
	unsigned int type;
	uint64_t count;
	/* per field: quantities as a histogram, enums by value */
	struct pm_hist *fields;		/* [nfields] */
	struct enum_count {
		uint64_t value, count;
	} values[PM_MAX_FIELDS][MAX_ENUM_VALUES];
	unsigned int nvalues[PM_MAX_FIELDS];
	uint64_t other[PM_MAX_FIELDS];
	struct pm_kind kind;
	char labels[PM_MAX_FIELDS][MAX_ENUM_VALUES][PM_NAME_LEN];
	/*
	 * The first records of an event kind (not a span): events are rare
	 * findings (a race report, a failure) worth seeing one by one.
	 */
	struct listed {
		uint64_t ts_ns;
		uint32_t cpu;
		uint64_t v[PM_MAX_FIELDS];
	} listed[MAX_LISTED];
	unsigned int nlisted;
};

struct model {
	const char *path;
	struct pm_log_header hdr;
	uint64_t records, lost, skipped;
	/* from slices (one event each), by stage number ... */
	struct pm_hist by_id[PM_MAX_STAGES];
	char names[PM_MAX_STAGES][PM_NAME_LEN];
	int nnamed;			/* ... declared in this order */
	unsigned char order[PM_MAX_STAGES];
	/* ... and those timed at least once, in that order */
	struct named_hist stages[PM_MAX_STAGES];
	int nstages;
	/* histogram records (kept in the kernel: complete), log order */
	struct named_hist *hists;	/* [PM_MAX_NAMED] */
	int nhists;
	struct counter *counters;	/* [PM_MAX_NAMED] */
	int ncounters;
	struct kind_stats *kinds[PM_MAX_KINDS];
	int nkinds;
};

/*
 * Read a whole log into @m, which must be all zero (calloc(), or after
 * pm_model_free(): a model is large, and a fresh calloc() costs nothing
 * for what is not touched); 0, or -1 with the reason on @err.
 */
int pm_model_load(struct pm_log_reader *r, const char *path, struct model *m, FILE *err);
/* Free what a model holds and zero it, for the next pm_model_load(). */
void pm_model_free(struct model *m);

/*
 * The latency view of a model: its histograms in "ns" when the log has any
 * (in-kernel: they include events the ring buffer lost), else the stages
 * built from slices.  @source says which.
 */
void pm_stage_view(const struct model *m, const struct named_hist **v, int *n,
		   const char **source, struct named_hist *buf);

/* 0; 1 if the JSON writer found its nesting broken (a bug, said on stderr). */
int pm_report(const struct model *m, FILE *out, enum fmt fmt);
/* 0; 1 when the two logs have no stage in common, or (a bug) the JSON broke: said on @err. */
int pm_diff(const struct model *a, const struct model *b, FILE *out, enum fmt fmt, FILE *err);
/* Stream @r's slices, spans and events; 0, or 1 with the reason on @err. */
int pm_timeline(struct pm_log_reader *r, const char *path, FILE *out, enum fmt fmt, FILE *err,
		uint64_t *written);
/* The plotted CDF points, as JSON or CSV; 0, or 1 as pm_report(). */
int pm_plot_data(const struct model *m, FILE *out, enum fmt fmt);
/* The number of stages plot would draw. */
int pm_plot_count(const struct model *m);
/*
 * The data file and the gnuplot program of `pagemove plot`.  No string
 * from the log reaches the program: legend entries come from the data
 * file (columnheader), the title is mapped to a closed alphabet.
 */
int pm_plot_datafile(const struct model *m, FILE *f);
int pm_plot_script(const struct model *m, FILE *g, const char *datafile);
/*
 * NULL if @script (NUL-terminated) is a program pm_plot_script() may
 * write for @datafile: only whitelisted lines, strings of a closed
 * alphabet; else the first offending line.  pagemove runs gnuplot only
 * on a script that passes; the fuzz target checks every script.
 */
const char *pm_plot_script_check(const char *script, const char *datafile);
/* NULL if @data is a data file gnuplot reads as data only, else why. */
const char *pm_plot_data_check(const char *data);

#endif /* PAGEMOVE_ANALYSIS_H */
