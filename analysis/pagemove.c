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

#include "hist.h"
#include "log.h"
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
	while ((rc = pm_log_next_hist(r, &rec, m->by_id)) > 0) {
		switch (rec.hdr.type) {
		case PM_REC_STAGE: {	/* those pm_log_next_hist() left: a window's last */
			const struct pm_rec_stage *st = rec.payload;

			pm_hist_add(&m->by_id[st->stage], st->dur_ns);
			break;
		}
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

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
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

/* Chrome/Perfetto trace-event JSON of the stage records, streamed. */
static int timeline(const char *path, const char *out)
{
	char err[PM_ERR_LEN];
	struct pm_log_reader *r = pm_log_open(path, err);
	FILE *f;
	struct pm_rec rec;
	int rc, first = 1;
	uint64_t n = 0;

	if (!r) {
		fprintf(stderr, "pagemove: %s\n", err);
		return 1;
	}
	f = strcmp(out, "-") ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "pagemove: cannot create %s: %s\n", out, strerror(errno));
		pm_log_free(r);
		return 1;
	}
	fprintf(f, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"tool\":");
	json_str(f, pm_log_header(r)->tool);
	fprintf(f, ",\"kernel\":");
	json_str(f, pm_log_header(r)->kernel);
	fprintf(f, "},\"traceEvents\":[");
	while ((rc = pm_log_next(r, &rec)) > 0) {
		const struct pm_rec_stage *st = rec.payload;
		const struct pm_rec_op *op = pm_log_op(r);

		if (rec.hdr.type != PM_REC_STAGE)
			continue;
		fprintf(f, "%s\n{\"name\":", first ? "" : ",");
		json_str(f, pm_log_stage_name(r, st->stage));
		fprintf(f, ",\"cat\":");
		json_str(f, pm_log_header(r)->tool);
		fprintf(f, ",\"ph\":\"X\",\"ts\":%.3f,\"dur\":%.3f,\"pid\":%u,\"tid\":%u,"
			"\"args\":{\"op\":%llu,\"pages\":%u,\"cpu\":%u}}",
			(double)(rec.hdr.ts_ns - st->dur_ns) / 1e3, (double)st->dur_ns / 1e3,
			op->tgid, op->pid, op->op_id, st->pages, rec.hdr.cpu);
		first = 0;
		n++;
	}
	fprintf(f, "\n]}\n");
	if (rc < 0)
		fprintf(stderr, "pagemove: %s\n", pm_log_error(r));
	else if (pm_log_lost(r))
		fprintf(stderr, "pagemove: WARNING: %llu events were lost while recording: the "
			"timeline misses them\n", (unsigned long long)pm_log_lost(r));
	pm_log_free(r);
	if ((f != stdout && fclose(f)) || rc < 0) {
		if (rc >= 0)
			fprintf(stderr, "pagemove: cannot write %s: %s\n", out, strerror(errno));
		return 1;
	}
	fprintf(stderr, "pagemove: %llu slices written to %s (load it in ui.perfetto.dev)\n",
		(unsigned long long)n, out);
	return 0;
}

/* Latency CDF per stage, drawn by gnuplot. */
static int plot(struct model *m, const char *out)
{
	struct named_hist *v;
	const char *source;
	char data[] = "/tmp/pagemove-plot.XXXXXX";
	int n, i, j, fd, plotted = 0, rc;
	FILE *f, *g;

	stage_view(m, &v, &n, &source);
	fd = mkstemp(data);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		fprintf(stderr, "pagemove: cannot create a temporary file: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		uint64_t cum = 0;

		if (!v[i].h.count)
			continue;
		fprintf(f, "# %s\n", v[i].name);
		for (j = 0; j < (int)PM_HIST_SLOTS; j++) {
			if (!v[i].h.slots[j])
				continue;
			cum += v[i].h.slots[j];
			fprintf(f, "%g %g\n", (double)pm_hist_slot_high(j) / 1e3,
				(double)cum / (double)v[i].h.count);
		}
		fprintf(f, "\n\n");
	}
	fclose(f);
	g = popen("gnuplot", "w");
	if (!g) {
		fprintf(stderr, "pagemove: cannot run gnuplot: %s\n", strerror(errno));
		unlink(data);
		return 1;
	}
	fprintf(g, "set terminal svg size 900,520 dynamic\nset output '%s'\n", out);
	fprintf(g, "set title '%s on %s: latency CDF per stage'\n", m->hdr.tool, m->hdr.kernel);
	fprintf(g, "set logscale x\nset xlabel 'latency (us)'\nset ylabel 'fraction'\n"
		"set key bottom right\nset grid\nplot ");
	for (i = 0, j = 0; i < n; i++) {
		if (!v[i].h.count)
			continue;
		fprintf(g, "%s'%s' index %d with steps lw 2 title '%s'", j ? ", " : "", data, j,
			v[i].name);
		j++;
		plotted++;
	}
	fprintf(g, "\n");
	rc = pclose(g);
	unlink(data);
	if (!plotted) {
		fprintf(stderr, "pagemove: %s has no stage to plot\n", m->path);
		return 1;
	}
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
		"       pagemove timeline FILE -o TRACE.json\n"
		"       pagemove plot FILE -o OUT.svg\n"
		"\n"
		"Reads event logs written by the pagemove tracers (-w FILE).\n"
		"  report    per-stage table (count, mean, p50, p90, p99, p99.9, max, share),\n"
		"            counters, log2 charts; the header's facts; lost events\n"
		"  diff      stages side by side: median ratio with a bootstrap 95%% interval\n"
		"  timeline  Chrome/Perfetto trace-event JSON of the stage slices\n"
		"  plot      latency CDF per stage as SVG (gnuplot)\n"
		"\n"
		"examples:\n"
		"  migratevma -w mv.log -- hmmbench -s 64 && pagemove report mv.log\n"
		"  pagemove diff stock.log patched.log\n"
		"  pagemove timeline mv.log -o mv.json   # open in ui.perfetto.dev\n");
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
		return timeline(argv[0], out);
	if (!strcmp(cmd, "plot") && argc == 1 && out)
		return load(argv[0], &a) ? 1 : plot(&a, out);
	fprintf(stderr, "pagemove: bad command line for '%s'\n", cmd);
	usage(stderr);
	return 2;
}
