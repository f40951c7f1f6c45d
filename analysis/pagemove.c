// SPDX-License-Identifier: GPL-2.0
/*
 * pagemove - turn pagemove event logs into tables, A/B comparisons, plots
 * and timelines.  Reads each log once, streaming: memory does not grow with
 * the number of events (histograms, not arrays of samples).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hist_api.h"
#include "log_api.h"
#include "stats.h"

#define MAX_NAMED 64

struct named_hist {
	char name[PM_NAME_LEN];
	struct pm_hist h;
};

struct counter {
	char name[PM_NAME_LEN];
	unsigned long long value;
	int available;
};

struct model {
	const char *path;
	struct pm_log_header hdr;
	uint64_t records, lost;
	/* from stage records (one event each), by stage number ... */
	struct pm_hist by_id[PM_MAX_STAGES];
	char names[PM_MAX_STAGES][PM_NAME_LEN];
	int nnamed;			/* ... named in this order */
	unsigned char order[PM_MAX_STAGES];
	/* ... and those timed at least once, in that order */
	struct named_hist stages[PM_MAX_STAGES];
	int nstages;
	/* from histogram records (kept in the kernel: complete) */
	struct named_hist hists[MAX_NAMED];
	int nhists;
	struct counter counters[MAX_NAMED * 2];
	int ncounters;
};

enum fmt { FMT_TEXT, FMT_JSON, FMT_CSV };

static struct named_hist *find_or_add(struct named_hist *v, int *n, const char *name)
{
	int i;

	for (i = 0; i < *n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	if (*n == MAX_NAMED)
		return NULL;
	memset(&v[*n], 0, sizeof(v[*n]));
	snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
	return &v[(*n)++];
}

/* Read a whole log into @m; 0, or -1 with the reason printed. */
static int load(const char *path, struct model *m)
{
	char err[PM_ERR_LEN];
	struct pm_log_reader *r = pm_log_open(path, err);
	struct named_hist *nh;
	struct pm_rec rec;
	int rc, i;

	memset(m, 0, sizeof(*m));
	m->path = path;
	if (!r) {
		fprintf(stderr, "pagemove: %s\n", err);
		return -1;
	}
	m->hdr = *pm_log_header(r);
	/* Slices go straight into by_id[]: every other record comes here. */
	while ((rc = pm_log_next_hist(r, &rec, m->by_id)) > 0) {
		switch (rec.hdr.type) {
		case PM_REC_NAME: {
			const struct pm_rec_name *n = rec.payload;

			snprintf(m->names[n->id], PM_NAME_LEN, "%s", n->name);
			m->order[m->nnamed++] = (unsigned char)n->id;
			break;
		}
		case PM_REC_HIST: {
			const struct pm_rec_hist *h = rec.payload;

			nh = find_or_add(m->hists, &m->nhists, h->name);
			if (nh && !pm_hist_merge(&nh->h, &h->hist)) {
				fprintf(stderr, "pagemove: %s: histogram %s overflows\n", path, h->name);
				pm_log_free(r);
				return -1;
			}
			break;
		}
		case PM_REC_COUNTER: {
			const struct pm_rec_counter *c = rec.payload;

			if (m->ncounters < MAX_NAMED * 2) {
				struct counter *o = &m->counters[m->ncounters++];

				snprintf(o->name, sizeof(o->name), "%s", c->name);
				o->value = c->value;
				o->available = c->available != 0;
			}
			break;
		}
		default:
			break;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "pagemove: %s\n", pm_log_error(r));
		pm_log_free(r);
		return -1;
	}
	m->records = pm_log_records(r);
	m->lost = pm_log_lost(r);
	pm_log_free(r);
	for (i = 0; i < m->nnamed; i++) {
		int id = m->order[i];

		if (!m->by_id[id].count)
			continue;
		memcpy(m->stages[m->nstages].name, m->names[id], PM_NAME_LEN);
		m->stages[m->nstages++].h = m->by_id[id];
	}
	return 0;
}

/*
 * The stage histograms to report: the in-kernel ones ("<stage>_ns") when the
 * log has them (they include events the ring buffer lost), else those built
 * from the stage records.
 */
static void stage_view(struct model *m, struct named_hist **v, int *n, const char **source)
{
	int i;

	if (m->nhists) {
		for (i = 0; i < m->nhists; i++) {
			char *s = strstr(m->hists[i].name, "_ns");

			if (s && !s[3])
				*s = 0;
		}
		*v = m->hists;
		*n = m->nhists;
		*source = "in-kernel histograms";
	} else {
		*v = m->stages;
		*n = m->nstages;
		*source = "stage events";
	}
}

static double share_total(struct named_hist *v, int n)
{
	double t = 0;
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, "total"))
			t += (double)v[i].h.sum;
	return t;
}

/* Bytes in the valid UTF-8 sequence (RFC 3629) at @p, 0 if it is not one. */
static int utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;		/* no overlong forms */
	else if (p[0] == 0xed)
		hi = 0x9f;		/* no UTF-16 surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;		/* nothing above U+10FFFF */
	for (i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
		if (p[i] < lo || p[i] > hi)	/* also stops at the NUL */
			return 0;
	return n;
}

/*
 * A JSON string: quotes, backslashes and control characters escaped, valid
 * UTF-8 kept, any other byte replaced by U+FFFD (the names come from logs
 * and kernels, not from us).
 */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	fputc('"', f);
	while (*p) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else if ((n = utf8_len(p))) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	fputc('"', f);
}

/* @s in quotes @q, each @q inside doubled: CSV's rule ('"'), gnuplot's ('\''). */
static void quoted(FILE *f, const char *s, char q)
{
	fputc(q, f);
	for (; *s; s++) {
		if (*s == q)
			fputc(q, f);
		fputc(*s, f);
	}
	fputc(q, f);
}

static void csv_str(FILE *f, const char *s)
{
	quoted(f, s, '"');
}

static const double pcts[] = { 50, 90, 99, 99.9 };

/* bcc-style log2 chart of a histogram of nanoseconds, in microseconds. */
static void log2_chart(const char *name, const struct pm_hist *h)
{
	unsigned long long buckets[65] = { 0 }, maxc = 0;
	int i, top = -1, b;
	unsigned int s;

	for (s = 0; s < PM_HIST_SLOTS; s++) {
		unsigned long long us = pm_hist_slot_low(s) / 1000;

		if (!h->slots[s])
			continue;
		b = us ? (int)pm_log2(us) + 1 : 0;
		buckets[b] += h->slots[s];
	}
	for (i = 0; i < 65; i++) {
		if (buckets[i] > maxc)
			maxc = buckets[i];
		if (buckets[i])
			top = i;
	}
	printf("\n%s:\n%24s : %-8s %s\n", name, "usecs", "count", "distribution");
	for (i = 0; i <= top; i++) {
		unsigned long long lo = i ? 1ULL << (i - 1) : 0, hi = (1ULL << i) - 1;
		int stars = maxc ? (int)(buckets[i] * 40 / maxc) : 0;

		printf("%10llu -> %-10llu : %-8llu |%-40.*s|\n", lo, hi, buckets[i], stars,
		       "****************************************");
	}
}

static int report(struct model *m, enum fmt fmt)
{
	struct named_hist *v;
	const char *source;
	double tot;
	int n, i, j;

	stage_view(m, &v, &n, &source);
	tot = share_total(v, n);
	if (fmt == FMT_JSON) {
		printf("{\"file\":");
		json_str(stdout, m->path);
		printf(",\"tool\":");
		json_str(stdout, m->hdr.tool);
		printf(",\"kernel\":");
		json_str(stdout, m->hdr.kernel);
		printf(",\"hooks\":");
		json_str(stdout, m->hdr.hooks);
		printf(",\"clock\":\"monotonic\",\"records\":%llu,\"lost_events\":%llu,\"source\":",
		       (unsigned long long)m->records, (unsigned long long)m->lost);
		json_str(stdout, source);
		printf(",\"stages\":[");
		for (i = 0; i < n; i++) {
			const struct pm_hist *h = &v[i].h;

			printf("%s{\"name\":", i ? "," : "");
			json_str(stdout, v[i].name);
			printf(",\"count\":%llu,\"sum_ns\":%llu,\"mean_ns\":%.1f", h->count, h->sum,
			       pm_hist_mean(h));
			for (j = 0; j < 4; j++)
				printf(",\"p%g_ns\":%.1f", pcts[j], pm_hist_percentile(h, pcts[j]));
			printf(",\"max_ns\":%llu,\"share\":", h->max);
			if (strcmp(v[i].name, "total") && tot > 0)
				printf("%.4f}", (double)h->sum / tot);
			else
				printf("null}");
		}
		printf("],\"counters\":[");
		for (i = 0; i < m->ncounters; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_str(stdout, m->counters[i].name);
			if (m->counters[i].available)
				printf(",\"value\":%llu}", m->counters[i].value);
			else
				printf(",\"value\":null}");
		}
		printf("]}\n");
		return 0;
	}
	if (fmt == FMT_CSV) {
		printf("kind,name,count,sum_ns,mean_ns,p50_ns,p90_ns,p99_ns,p99.9_ns,max_ns,share,value\n");
		for (i = 0; i < n; i++) {
			const struct pm_hist *h = &v[i].h;

			printf("stage,");
			csv_str(stdout, v[i].name);
			printf(",%llu,%llu,%.1f", h->count, h->sum, pm_hist_mean(h));
			for (j = 0; j < 4; j++)
				printf(",%.1f", pm_hist_percentile(h, pcts[j]));
			printf(",%llu,", h->max);
			if (strcmp(v[i].name, "total") && tot > 0)
				printf("%.4f", (double)h->sum / tot);
			printf(",\n");
		}
		for (i = 0; i < m->ncounters; i++) {
			printf("counter,");
			csv_str(stdout, m->counters[i].name);
			printf(",,,,,,,,,,");
			if (m->counters[i].available)
				printf("%llu", m->counters[i].value);
			printf("\n");
		}
		return 0;
	}
	printf("%s: %s on %s, hooks: %s\n", m->path, m->hdr.tool, m->hdr.kernel, m->hdr.hooks);
	printf("records %llu, clock monotonic, stages from %s\n", (unsigned long long)m->records,
	       source);
	if (m->lost)
		printf("WARNING: %llu events were lost while recording: per-event data "
		       "(timeline) is incomplete\n", (unsigned long long)m->lost);
	printf("\n%-10s %8s %10s %10s %10s %10s %10s %10s %7s\n", "stage", "count", "mean us",
	       "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "share");
	for (i = 0; i < n; i++) {
		const struct pm_hist *h = &v[i].h;

		printf("%-10s %8llu %10.1f", v[i].name, h->count, pm_hist_mean(h) / 1e3);
		for (j = 0; j < 4; j++)
			printf(" %10.1f", pm_hist_percentile(h, pcts[j]) / 1e3);
		printf(" %10.1f", h->max / 1e3);
		if (strcmp(v[i].name, "total") && tot > 0)
			printf(" %6.1f%%\n", 100.0 * (double)h->sum / tot);
		else
			printf(" %7s\n", "-");
	}
	if (m->ncounters) {
		printf("\n");
		for (i = 0; i < m->ncounters; i++) {
			if (m->counters[i].available)
				printf("%-28s %llu\n", m->counters[i].name, m->counters[i].value);
			else
				printf("%-28s unavailable on the traced kernel\n", m->counters[i].name);
		}
	}
	for (i = 0; i < n; i++)
		log2_chart(v[i].name, &v[i].h);
	return 0;
}

static int diff(struct model *a, struct model *b, enum fmt fmt)
{
	struct named_hist *va, *vb;
	const char *sa, *sb;
	int na, nb, i, j, first = 1;

	stage_view(a, &va, &na, &sa);
	stage_view(b, &vb, &nb, &sb);
	if (fmt == FMT_JSON) {
		printf("{\"base\":");
		json_str(stdout, a->path);
		printf(",\"new\":");
		json_str(stdout, b->path);
		printf(",\"stages\":[");
	}
	else if (fmt == FMT_CSV)
		printf("stage,base_count,new_count,base_p50_ns,new_p50_ns,ratio,ci_lo,ci_hi,significant\n");
	else
		printf("%-10s %8s %8s %12s %12s %8s %18s\n", "stage", "base n", "new n",
		       "base p50 us", "new p50 us", "ratio", "95% CI");
	for (i = 0; i < na; i++) {
		struct pm_ratio_ci ci;
		int sig;

		for (j = 0; j < nb && strcmp(va[i].name, vb[j].name); j++)
			;
		if (j == nb)
			continue;
		if (pm_median_ratio_ci(&va[i].h, &vb[j].h, 1000, 42, &ci)) {
			fprintf(stderr, "pagemove: stage %s: empty or zero median, no ratio\n", va[i].name);
			continue;
		}
		sig = !(ci.lo <= 1 && 1 <= ci.hi);
		if (fmt == FMT_JSON) {
			printf("%s{\"name\":", first ? "" : ",");
			json_str(stdout, va[i].name);
			printf(",\"base_count\":%llu,\"new_count\":%llu,\"base_p50_ns\":%.1f,"
			       "\"new_p50_ns\":%.1f,\"ratio\":%.4f,\"ci\":[%.4f,%.4f],\"significant\":%s}",
			       va[i].h.count, vb[j].h.count, pm_hist_percentile(&va[i].h, 50),
			       pm_hist_percentile(&vb[j].h, 50), ci.ratio, ci.lo, ci.hi,
			       sig ? "true" : "false");
		} else if (fmt == FMT_CSV) {
			csv_str(stdout, va[i].name);
			printf(",%llu,%llu,%.1f,%.1f,%.4f,%.4f,%.4f,%d\n", va[i].h.count, vb[j].h.count,
			       pm_hist_percentile(&va[i].h, 50), pm_hist_percentile(&vb[j].h, 50),
			       ci.ratio, ci.lo, ci.hi, sig);
		} else {
			printf("%-10s %8llu %8llu %12.1f %12.1f %7.3fx   [%.3f, %.3f]  %s\n", va[i].name,
			       va[i].h.count, vb[j].h.count, pm_hist_percentile(&va[i].h, 50) / 1e3,
			       pm_hist_percentile(&vb[j].h, 50) / 1e3, ci.ratio, ci.lo, ci.hi,
			       sig ? (ci.ratio > 1 ? "slower" : "faster") : "no significant difference");
		}
		first = 0;
	}
	if (fmt == FMT_JSON)
		printf("]}\n");
	if (first) {
		fprintf(stderr, "pagemove: %s and %s have no stage in common\n", a->path, b->path);
		return 1;
	}
	return 0;
}

/* Open @out for writing ("-": stdout); NULL with the reason printed. */
static FILE *create(const char *out)
{
	FILE *f = strcmp(out, "-") ? fopen(out, "w") : stdout;

	if (!f)
		fprintf(stderr, "pagemove: cannot create %s: %s\n", out, strerror(errno));
	return f;
}

/* Close what create() opened; 0, or 1 with the reason printed. */
static int finish(FILE *f, const char *out)
{
	if (ferror(f) | (f == stdout ? fflush(f) : fclose(f))) {
		fprintf(stderr, "pagemove: cannot write %s: %s\n", out, strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * The stage slices, streamed: Chrome/Perfetto trace-event JSON (slices per
 * thread), or CSV with one row per slice.
 */
static int timeline(const char *path, const char *out, enum fmt fmt)
{
	char err[PM_ERR_LEN];
	struct pm_log_reader *r = pm_log_open(path, err);
	const struct pm_log_header *hdr;
	FILE *f;
	struct pm_rec rec;
	int rc, bad;
	uint64_t n = 0;

	if (!r) {
		fprintf(stderr, "pagemove: %s\n", err);
		return 1;
	}
	hdr = pm_log_header(r);
	f = create(out);
	if (!f) {
		pm_log_free(r);
		return 1;
	}
	if (fmt == FMT_CSV) {
		fprintf(f, "start_ns,dur_ns,cpu,tgid,pid,op,stage,pages\n");
	} else {
		fprintf(f, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"tool\":");
		json_str(f, hdr->tool);
		fprintf(f, ",\"kernel\":");
		json_str(f, hdr->kernel);
		fprintf(f, "},\"traceEvents\":[");
	}
	while ((rc = pm_log_next(r, &rec)) > 0) {
		struct pm_slice sl;
		unsigned int i;

		if (rec.hdr.type != PM_REC_SLICES)
			continue;
		for (i = 0; i < pm_slices_count(&rec); i++, n++) {
			pm_slices_get(&rec, i, &sl);
			if (fmt == FMT_CSV) {
				fprintf(f, "%llu,%llu,%u,%u,%u,%llu,",
					(unsigned long long)(sl.end_ns - sl.dur_ns),
					(unsigned long long)sl.dur_ns, sl.cpu, sl.tgid, sl.pid,
					(unsigned long long)sl.op_id);
				csv_str(f, pm_log_stage_name(r, sl.stage));
				fprintf(f, ",%u\n", sl.pages);
				continue;
			}
			fprintf(f, "%s\n{\"name\":", n ? "," : "");
			json_str(f, pm_log_stage_name(r, sl.stage));
			fprintf(f, ",\"cat\":");
			json_str(f, hdr->tool);
			fprintf(f, ",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%u,\"tid\":%u,"
				"\"args\":{\"op\":%llu,\"pages\":%u,\"cpu\":%u}}",
				(double)(sl.end_ns - sl.dur_ns) / 1e3, (double)sl.dur_ns / 1e3, sl.tgid,
				sl.pid, (unsigned long long)sl.op_id, sl.pages, sl.cpu);
		}
	}
	if (fmt != FMT_CSV)
		fprintf(f, "\n]}\n");
	if (rc < 0)
		fprintf(stderr, "pagemove: %s\n", pm_log_error(r));
	else if (pm_log_lost(r))
		fprintf(stderr, "pagemove: WARNING: %llu events were lost while recording: the "
			"timeline misses them\n", (unsigned long long)pm_log_lost(r));
	pm_log_free(r);
	bad = finish(f, out);
	if (rc < 0 || bad)
		return 1;
	fprintf(stderr, "pagemove: %llu slices written to %s%s\n", (unsigned long long)n, out,
		fmt == FMT_CSV ? "" : " (load it in ui.perfetto.dev)");
	return 0;
}

/*
 * The points of a stage's latency CDF: for each non-empty slot, its upper
 * bound and the fraction of values at or below it.  Returns the number of
 * points; call with i = 0, 1, ... until it returns 0.
 */
static int cdf_point(const struct pm_hist *h, unsigned int *slot, uint64_t *cum,
		     uint64_t *le_ns, double *frac)
{
	while (*slot < PM_HIST_SLOTS && !h->slots[*slot])
		(*slot)++;
	if (*slot >= PM_HIST_SLOTS)
		return 0;
	*cum += h->slots[*slot];
	/* the top slot's bound is the largest value seen, not 2^64 - 1 */
	*le_ns = *cum == h->count ? h->max : pm_hist_slot_high(*slot);
	*frac = (double)*cum / (double)h->count;
	(*slot)++;
	return 1;
}

/* The plotted data instead of a picture: per stage, its CDF points. */
static int plot_data(struct named_hist *v, int n, const struct model *m, FILE *f, enum fmt fmt)
{
	unsigned int slot;
	uint64_t cum, le;
	double frac;
	int i, k;

	if (fmt == FMT_CSV) {
		fprintf(f, "stage,le_ns,fraction\n");
	} else {
		fprintf(f, "{\"file\":");
		json_str(f, m->path);
		fprintf(f, ",\"stages\":[");
	}
	for (i = 0; i < n; i++) {
		if (fmt == FMT_JSON) {
			fprintf(f, "%s{\"name\":", i ? "," : "");
			json_str(f, v[i].name);
			fprintf(f, ",\"count\":%llu,\"cdf\":[", v[i].h.count);
		}
		for (slot = 0, cum = 0, k = 0; cdf_point(&v[i].h, &slot, &cum, &le, &frac); k++) {
			if (fmt == FMT_CSV) {
				csv_str(f, v[i].name);
				fprintf(f, ",%llu,%.6f\n", (unsigned long long)le, frac);
			} else {
				fprintf(f, "%s[%llu,%.6f]", k ? "," : "", (unsigned long long)le, frac);
			}
		}
		if (fmt == FMT_JSON)
			fprintf(f, "]}");
	}
	if (fmt == FMT_JSON)
		fprintf(f, "]}\n");
	return 0;
}

/*
 * Per stage, its latency CDF and its histogram (log2 buckets, as in the
 * report), drawn by gnuplot as SVG; or, with --json/--csv, the CDF points.
 */
static int plot(struct model *m, const char *out, enum fmt fmt)
{
	struct named_hist *v;
	const char *source;
	char data[] = "/tmp/pagemove-plot.XXXXXX";
	int n, i, j, k, fd, plotted = 0, rc;
	unsigned int slot;
	uint64_t cum, le;
	double frac;
	FILE *f, *g;

	stage_view(m, &v, &n, &source);
	for (i = 0; i < n; i++)
		plotted += v[i].h.count > 0;
	if (!plotted) {
		fprintf(stderr, "pagemove: %s has no stage to plot\n", m->path);
		return 1;
	}
	if (fmt != FMT_TEXT) {
		f = create(out);
		return f ? plot_data(v, n, m, f, fmt) | finish(f, out) : 1;
	}
	fd = mkstemp(data);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "pagemove: cannot create a temporary file: %s\n", strerror(errno));
		return 1;
	}
	/* Per stage: index 2k the CDF, index 2k + 1 the log2 buckets (us, share). */
	for (i = 0; i < n; i++) {
		unsigned long long buckets[65] = { 0 };
		int lo, hi;

		if (!v[i].h.count)
			continue;
		fprintf(f, "# %s: CDF\n", v[i].name);
		for (slot = 0; !v[i].h.slots[slot]; slot++)
			;
		fprintf(f, "%g 0\n", (double)pm_hist_slot_low(slot) / 1e3);
		for (slot = 0, cum = 0; cdf_point(&v[i].h, &slot, &cum, &le, &frac);)
			fprintf(f, "%g %g\n", (double)le / 1e3, frac);
		fprintf(f, "\n\n# %s: log2 buckets\n", v[i].name);
		for (slot = 0; slot < PM_HIST_SLOTS; slot++) {
			unsigned long long us = pm_hist_slot_low(slot) / 1000;

			buckets[us ? pm_log2(us) + 1 : 0] += v[i].h.slots[slot];
		}
		for (lo = 0; !buckets[lo]; lo++)
			;
		for (hi = 64; !buckets[hi]; hi--)
			;
		/* every bucket in the range, empty ones too, and one either side */
		for (j = lo ? lo - 1 : 0; j <= hi + 1 && j < 65; j++)
			fprintf(f, "%g %g\n", j ? (double)(1ULL << (j - 1)) * 1.5 : 0.5,
				(double)buckets[j] / (double)v[i].h.count);
		fprintf(f, "\n\n");
	}
	if (fclose(f)) {
		fprintf(stderr, "pagemove: cannot write %s: %s\n", data, strerror(errno));
		unlink(data);
		return 1;
	}
	g = popen("gnuplot", "w");
	if (!g) {
		fprintf(stderr, "pagemove: cannot run gnuplot: %s\n", strerror(errno));
		unlink(data);
		return 1;
	}
	fprintf(g, "set terminal svg size 900,900 dynamic\nset output ");
	if (strcmp(out, "-"))
		quoted(g, out, '\'');
	fprintf(g, "\nset multiplot layout 2,1 title ");
	quoted(g, m->hdr.tool, '\'');
	fprintf(g, ".' on '.");
	quoted(g, m->hdr.kernel, '\'');
	fprintf(g, ".' (%s)'\n", source);
	fprintf(g, "set logscale x\nset grid\nset key outside right\n"
		"set xlabel 'latency (us)'\nset ylabel 'share of events'\n"
		"set title 'histogram (log2 buckets)'\n");
	for (k = 0; k < 2; k++) {
		if (k)
			fprintf(g, "set ylabel 'fraction at or below'\nset yrange [0:1]\n"
				"set title 'CDF'\n");
		fprintf(g, "plot ");
		for (i = 0, j = 0; i < n; i++) {
			if (!v[i].h.count)
				continue;
			fprintf(g, "%s'%s' index %d with %s lw 2 title ", j ? ", " : "", data,
				2 * j + !k, k ? "steps" : "histeps");
			quoted(g, v[i].name, '\'');
			j++;
		}
		fprintf(g, "\n");
	}
	fprintf(g, "unset multiplot\n");
	rc = pclose(g);
	unlink(data);
	if (rc) {
		fprintf(stderr, "pagemove: gnuplot failed (exit %d); is gnuplot installed?\n", rc);
		return 1;
	}
	fprintf(stderr, "pagemove: wrote %s\n", out);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pagemove report [--json|--csv] FILE\n"
		"       pagemove diff [--json|--csv] BASE NEW\n"
		"       pagemove timeline [--json|--csv] FILE -o OUT\n"
		"       pagemove plot [--json|--csv] FILE -o OUT\n"
		"\n"
		"Reads event logs written by the pagemove tracers (-w FILE; - is stdin).\n"
		"  report    per-stage table (count, mean, p50, p90, p99, p99.9, max, share),\n"
		"            counters, log2 charts; the header's facts; lost events\n"
		"  diff      stages side by side: median ratio with a bootstrap 95%% interval\n"
		"  timeline  the stage slices: Chrome/Perfetto trace-event JSON (default),\n"
		"            or --csv, one row per slice\n"
		"  plot      per stage, latency histogram and CDF as SVG (gnuplot), or\n"
		"            --json/--csv: the CDF points\n"
		"  -o OUT    output file of timeline and plot; - is stdout\n"
		"\n"
		"examples:\n"
		"  migratevma -w mv.log -- hmmbench -s 64 && pagemove report mv.log\n"
		"  pagemove diff stock.log patched.log\n"
		"  pagemove report --json mv.log | jq '.stages[] | {name, p99_ns}'\n"
		"  pagemove timeline mv.log -o mv.json   # open in ui.perfetto.dev\n"
		"  pagemove plot mv.log -o mv.svg\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static struct model a, b;
	enum fmt fmt = FMT_TEXT;
	const char *cmd, *out = NULL;
	int c;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "jco:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			fmt = FMT_JSON;
			break;
		case 'c':
			fmt = FMT_CSV;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "report") && argc == 1)
		return load(argv[0], &a) ? 1 : report(&a, fmt);
	if (!strcmp(cmd, "diff") && argc == 2)
		return load(argv[0], &a) || load(argv[1], &b) ? 1 : diff(&a, &b, fmt);
	if (!strcmp(cmd, "timeline") && argc == 1 && out)
		return timeline(argv[0], out, fmt);
	if (!strcmp(cmd, "plot") && argc == 1 && out)
		return load(argv[0], &a) ? 1 : plot(&a, out, fmt);
	fprintf(stderr, "pagemove: bad command line for '%s'\n", cmd);
	usage(stderr);
	return 2;
}
