// SPDX-License-Identifier: GPL-2.0
/*
 * The cores of the pagemove subcommands (analysis.h).  Each reads a log
 * once, streaming: memory does not grow with the number of events
 * (histograms, not arrays of samples).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "json.h"
#include "stats.h"

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n > t && !strcmp(s + n - t, tail);
}

static int load_error(FILE *err, struct pm_log_reader *r, const char *path, const char *what,
		      const char *name)
{
	fprintf(err, "pagemove: %s: %s%s%s at offset %llu\n", path, what, name ? ": " : "",
		name ? name : "", (unsigned long long)pm_log_offset(r));
	return -1;
}

static struct kind_stats *kind_stats(struct model *m, const struct pm_kind *k)
{
	int i;

	for (i = 0; i < m->nkinds; i++)
		if (m->kinds[i]->type == k->decl.id)
			return m->kinds[i];
	if (m->nkinds == PM_MAX_KINDS)
		return NULL;
	m->kinds[i] = calloc(1, sizeof(*m->kinds[i]));
	if (!m->kinds[i])
		return NULL;
	m->kinds[i]->fields = calloc(k->decl.nfields, sizeof(struct pm_hist));
	if (!m->kinds[i]->fields) {
		free(m->kinds[i]);
		m->kinds[i] = NULL;
		return NULL;
	}
	m->kinds[i]->type = k->decl.id;
	m->kinds[i]->kind = *k;
	return m->kinds[m->nkinds++];
}

/* One record of a declared kind into its statistics. */
static bool add_event(struct kind_stats *ks, const uint64_t *v)
{
	unsigned int f, i;

	ks->count++;
	for (f = 0; f < ks->kind.decl.nfields; f++) {
		unsigned int flags = ks->kind.fields[f].flags;

		if (flags & PM_FIELD_ID)
			continue;
		if (!(flags & PM_FIELD_ENUM)) {
			uint64_t sum;

			if (__builtin_add_overflow(ks->fields[f].sum, v[f], &sum))
				return false;
			pm_hist_add(&ks->fields[f], v[f]);
			continue;
		}
		for (i = 0; i < ks->nvalues[f] && ks->values[f][i].value != v[f]; i++)
			;
		if (i < ks->nvalues[f]) {
			ks->values[f][i].count++;
		} else if (i < MAX_ENUM_VALUES) {
			ks->values[f][i].value = v[f];
			ks->values[f][i].count = 1;
			ks->nvalues[f]++;
		} else {
			ks->other[f]++;
		}
	}
	return true;
}

void pm_model_free(struct model *m)
{
	int i;

	for (i = 0; i < m->nkinds; i++) {
		free(m->kinds[i]->fields);
		free(m->kinds[i]);
	}
	free(m->hists);
	free(m->counters);
	memset(m, 0, sizeof(*m));
}

int pm_model_load(struct pm_log_reader *r, const char *path, struct model *m, FILE *err)
{
	struct pm_rec rec;
	int rc, i, j;

	m->path = path;
	m->hdr = *pm_log_header(r);
	m->hists = calloc(PM_MAX_NAMED, sizeof(*m->hists));
	m->counters = calloc(PM_MAX_NAMED, sizeof(*m->counters));
	if (!m->hists || !m->counters)
		return load_error(err, r, path, "out of memory", NULL);
	/* Slices go straight into by_id[]: every other record comes here. */
	while ((rc = pm_log_next_hist(r, &rec, m->by_id)) > 0) {
		switch (rec.hdr.type) {
		case PM_REC_DECLARE: {
			const struct pm_rec_declare *d = rec.payload;

			if (d->class == PM_DECL_STAGE) {
				memcpy(m->names[d->id], d->name, PM_NAME_LEN);
				m->order[m->nnamed++] = (unsigned char)d->id;
			}
			break;
		}
		case PM_REC_HIST: {
			const struct pm_rec_hist *h = rec.payload;
			struct named_hist *nh = &m->hists[m->nhists++];
			char tail[PM_UNIT_LEN + 1];

			/* the reader refuses a name twice and more than PM_MAX_NAMED */
			memcpy(nh->name, h->name, PM_NAME_LEN);
			memcpy(nh->display, h->name, PM_NAME_LEN);
			memcpy(nh->unit, h->unit, PM_UNIT_LEN);
			nh->h = h->hist;
			snprintf(tail, sizeof(tail), "_%s", h->unit);
			if (h->unit[0] && ends_with(nh->display, tail))
				nh->display[strlen(nh->display) - strlen(tail)] = 0;
			break;
		}
		case PM_REC_COUNTER: {
			const struct pm_rec_counter *c = rec.payload;
			struct counter *o = &m->counters[m->ncounters++];

			memcpy(o->name, c->name, PM_NAME_LEN);
			memcpy(o->unit, c->unit, PM_UNIT_LEN);
			o->value = c->value;
			o->available = c->available != 0;
			break;
		}
		case PM_REC_LABEL:
		case PM_REC_SLICES:
			break;
		default: {
			const struct pm_kind *k = pm_log_kind(r, rec.hdr.type);
			struct kind_stats *ks = k ? kind_stats(m, k) : NULL;

			if (!ks)
				return load_error(err, r, path, "out of memory", NULL);
			if (!add_event(ks, rec.payload))
				return load_error(err, r, path, "a field's values overflow their sum",
						  ks->kind.decl.name);
			if (ks->kind.decl.class == PM_DECL_EVENT && ks->nlisted < MAX_LISTED) {
				struct listed *l = &ks->listed[ks->nlisted++];

				l->ts_ns = rec.hdr.ts_ns;
				l->cpu = rec.hdr.cpu;
				memcpy(l->v, rec.payload,
				       ks->kind.decl.nfields * sizeof(uint64_t));
			}
			break;
		}
		}
	}
	if (rc < 0) {
		fprintf(err, "pagemove: %s\n", pm_log_error(r));
		return -1;
	}
	m->records = pm_log_records(r);
	m->lost = pm_log_lost(r);
	m->skipped = pm_log_skipped(r);
	for (i = 0; i < m->nnamed; i++) {
		int id = m->order[i];
		struct named_hist *s;

		if (!m->by_id[id].count)
			continue;
		s = &m->stages[m->nstages++];
		memcpy(s->name, m->names[id], PM_NAME_LEN);
		memcpy(s->display, m->names[id], PM_NAME_LEN);
		memcpy(s->unit, "ns", 3);
		s->is_stage = 1;
		s->h = m->by_id[id];
	}
	for (i = 0; i < m->nhists; i++)
		for (j = 0; j < m->nnamed; j++)
			if (!strcmp(m->hists[i].unit, "ns") &&
			    !strcmp(m->hists[i].display, m->names[m->order[j]]))
				m->hists[i].is_stage = 1;
	/* enum labels, now that every label record has been read */
	for (i = 0; i < m->nkinds; i++) {
		struct kind_stats *ks = m->kinds[i];
		unsigned int f, v;

		for (f = 0; f < ks->kind.decl.nfields; f++)
			for (v = 0; v < ks->nvalues[f]; v++) {
				const char *l = pm_log_label_name(r, ks->type, f, ks->values[f][v].value);

				if (l)
					snprintf(ks->labels[f][v], PM_NAME_LEN, "%s", l);
			}
	}
	return 0;
}

void pm_stage_view(const struct model *m, const struct named_hist **v, int *n,
		   const char **source, struct named_hist *buf)
{
	int i, k = 0;

	for (i = 0; i < m->nhists; i++)
		if (!strcmp(m->hists[i].unit, "ns"))
			buf[k++] = m->hists[i];
	if (k) {
		*v = buf;
		*n = k;
		*source = "in-kernel histograms";
	} else {
		*v = m->stages;
		*n = m->nstages;
		*source = "stage events";
	}
}

static double share_total(const struct named_hist *v, int n)
{
	double t = 0;
	int i;

	for (i = 0; i < n; i++)
		if (v[i].is_stage)
			t += (double)v[i].h.sum;
	return t;
}

/*
 * CSV: in double quotes, each inside doubled.  A name from a log that
 * starts like a spreadsheet formula (= + - @, tab, CR) gets a leading
 * quote, so that opening the file in a spreadsheet runs nothing.
 */
static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	if (*s && strchr("=+-@\t\r", *s))
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static const double pcts[] = { 50, 90, 99, 99.9 };

/* bcc-style log2 chart of a histogram of nanoseconds, in microseconds. */
static void log2_chart(FILE *out, const char *name, const struct pm_hist *h)
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
	fprintf(out, "\n%s:\n%24s : %-8s %s\n", name, "usecs", "count", "distribution");
	for (i = 0; i <= top; i++) {
		unsigned long long lo = i ? 1ULL << (i - 1) : 0, hi = i == 64 ? UINT64_MAX : (1ULL << i) - 1;
		int stars = maxc ? (int)((double)buckets[i] * 40 / (double)maxc) : 0;

		fprintf(out, "%10llu -> %-10llu : %-8llu |%-40.*s|\n", lo, hi, buckets[i], stars,
			"****************************************");
	}
}

static const char *class_name(unsigned int c)
{
	return c == PM_DECL_SPAN ? "span" : "event";
}

/* The declared kinds: per kind its count, per field its values. */
/* The label of value @v of enum field @f, if it was counted and named. */
static const char *listed_label(const struct kind_stats *ks, unsigned int f, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < ks->nvalues[f]; i++)
		if (ks->values[f][i].value == v && ks->labels[f][i][0])
			return ks->labels[f][i];
	return NULL;
}

static void report_listed_json(const struct kind_stats *ks, struct pm_json *j)
{
	unsigned int i, f;

	if (ks->kind.decl.class != PM_DECL_EVENT)
		return;
	pm_json_arr(j, "records");
	for (i = 0; i < ks->nlisted; i++) {
		const struct listed *r = &ks->listed[i];

		pm_json_obj(j, NULL);
		pm_json_u64(j, "ts_ns", r->ts_ns);
		pm_json_u64(j, "cpu", r->cpu);
		pm_json_arr(j, "values");
		for (f = 0; f < ks->kind.decl.nfields; f++)
			pm_json_u64(j, NULL, r->v[f]);
		pm_json_end(j);
		pm_json_end(j);
	}
	pm_json_end(j);
}

static void report_listed(const struct model *m, const struct kind_stats *ks, FILE *out)
{
	unsigned int i, f;
	const char *l;

	if (!ks->nlisted)
		return;
	fprintf(out, "  %s %u of %llu records:\n", ks->nlisted < ks->count ? "the first" : "all",
		ks->nlisted, (unsigned long long)ks->count);
	for (i = 0; i < ks->nlisted; i++) {
		const struct listed *r = &ks->listed[i];

		fprintf(out, "    +%.6f s cpu %u", r->ts_ns >= m->hdr.start_ns ?
			(double)(r->ts_ns - m->hdr.start_ns) / 1e9 : 0.0, r->cpu);
		for (f = 0; f < ks->kind.decl.nfields; f++) {
			const struct pm_field *fd = &ks->kind.fields[f];

			fprintf(out, " %s=", fd->name);
			if ((fd->flags & PM_FIELD_ENUM) && (l = listed_label(ks, f, r->v[f])))
				fprintf(out, "%s", l);
			else if (fd->flags & PM_FIELD_ID)
				fprintf(out, "0x%llx", (unsigned long long)r->v[f]);
			else
				fprintf(out, "%llu", (unsigned long long)r->v[f]);
		}
		fprintf(out, "\n");
	}
}

/*
 * A histogram's mean and percentiles, to 0.1 of its unit: "mean", "p50",
 * "p90", "p99", "p99.9", each key with @suffix ("_ns" or "").
 */
static void json_mean_pcts(struct pm_json *j, const struct pm_hist *h, const char *suffix)
{
	char key[32];
	int i;

	snprintf(key, sizeof(key), "mean%s", suffix);
	pm_json_fixed(j, key, pm_hist_mean(h), 1);
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "p%g%s", pcts[i], suffix);
		pm_json_fixed(j, key, pm_hist_percentile(h, pcts[i]), 1);
	}
}

static void report_kinds_json(const struct model *m, struct pm_json *j)
{
	unsigned int f, v;
	int i;

	pm_json_arr(j, "kinds");
	for (i = 0; i < m->nkinds; i++) {
		const struct kind_stats *ks = m->kinds[i];

		pm_json_obj(j, NULL);
		pm_json_str(j, "name", ks->kind.decl.name);
		pm_json_str(j, "class", class_name(ks->kind.decl.class));
		pm_json_u64(j, "type", ks->type);
		pm_json_u64(j, "count", ks->count);
		pm_json_arr(j, "fields");
		for (f = 0; f < ks->kind.decl.nfields; f++) {
			const struct pm_field *fd = &ks->kind.fields[f];
			const struct pm_hist *h = &ks->fields[f];

			pm_json_obj(j, NULL);
			pm_json_str(j, "name", fd->name);
			pm_json_str(j, "unit", fd->unit);
			if (fd->flags & PM_FIELD_ID) {
				pm_json_bool(j, "id", true);
			} else if (fd->flags & PM_FIELD_ENUM) {
				pm_json_arr(j, "values");
				for (v = 0; v < ks->nvalues[f]; v++) {
					pm_json_obj(j, NULL);
					pm_json_u64(j, "value", ks->values[f][v].value);
					if (ks->labels[f][v][0])
						pm_json_str(j, "label", ks->labels[f][v]);
					else
						pm_json_null(j, "label");
					pm_json_u64(j, "count", ks->values[f][v].count);
					pm_json_end(j);
				}
				pm_json_end(j);
				pm_json_u64(j, "other", ks->other[f]);
			} else {
				pm_json_u64(j, "count", h->count);
				pm_json_u64(j, "sum", h->sum);
				json_mean_pcts(j, h, "");
				pm_json_u64(j, "max", h->max);
			}
			pm_json_end(j);
		}
		pm_json_end(j);
		report_listed_json(ks, j);
		pm_json_end(j);
	}
	pm_json_end(j);
}

/* The declared kinds as text or CSV rows (JSON: report_kinds_json). */
static void report_kinds(const struct model *m, FILE *out, enum fmt fmt)
{
	unsigned int f, v;
	int i;

	for (i = 0; i < m->nkinds; i++) {
		const struct kind_stats *ks = m->kinds[i];

		if (fmt == FMT_CSV) {
			fprintf(out, "%s,", class_name(ks->kind.decl.class));
			csv_str(out, ks->kind.decl.name);
			fprintf(out, ",%llu,,,,,,,,,,\n", (unsigned long long)ks->count);
			continue;
		}
		fprintf(out, "\n%s %s: %llu records\n", class_name(ks->kind.decl.class),
			ks->kind.decl.name, (unsigned long long)ks->count);
		for (f = 0; f < ks->kind.decl.nfields; f++) {
			const struct pm_field *fd = &ks->kind.fields[f];
			const struct pm_hist *h = &ks->fields[f];

			if (fd->flags & PM_FIELD_ID)
				continue;
			fprintf(out, "  %-24s", fd->name);
			if (fd->flags & PM_FIELD_ENUM) {
				for (v = 0; v < ks->nvalues[f]; v++) {
					if (ks->labels[f][v][0])
						fprintf(out, " %s", ks->labels[f][v]);
					else
						fprintf(out, " %llu",
							(unsigned long long)ks->values[f][v].value);
					fprintf(out, "=%llu", (unsigned long long)ks->values[f][v].count);
				}
				if (ks->other[f])
					fprintf(out, " other=%llu", (unsigned long long)ks->other[f]);
				fprintf(out, "\n");
				continue;
			}
			fprintf(out, " mean %.1f p50 %.1f p99 %.1f max %llu %s\n", pm_hist_mean(h),
				pm_hist_percentile(h, 50), pm_hist_percentile(h, 99), h->max, fd->unit);
		}
		report_listed(m, ks, out);
	}
}

/*
 * Close a document of pm_json: 0, or 1 if its nesting was broken (a bug
 * here, said on @err; the fuzz target traps on it).
 */
static int json_done(struct pm_json *j, FILE *err)
{
	if (!pm_json_finish(j))
		return 0;
	fprintf(err, "pagemove: internal error: unbalanced JSON\n");
	return 1;
}

/* The text tables' first column: as wide as the longest name, at least 10. */
static int name_width(const struct named_hist *v, int n)
{
	int i, w = 10;

	for (i = 0; i < n; i++)
		if ((int)strlen(v[i].display) > w)
			w = (int)strlen(v[i].display);
	return w;
}

int pm_report(const struct model *m, FILE *out, enum fmt fmt)
{
	static struct named_hist buf[PM_MAX_NAMED];
	const struct named_hist *v;
	const char *source;
	double tot;
	int n, i, j, w, nother = 0;

	pm_stage_view(m, &v, &n, &source, buf);
	tot = share_total(v, n);
	for (i = 0; i < m->nhists; i++)
		nother += strcmp(m->hists[i].unit, "ns") != 0;
	if (fmt == FMT_JSON) {
		struct pm_json js;

		pm_json_begin(&js, out);
		pm_json_obj(&js, NULL);
		pm_json_str(&js, "file", m->path);
		pm_json_u64(&js, "version", m->hdr.version);
		pm_json_str(&js, "tool", m->hdr.tool);
		pm_json_str(&js, "kernel", m->hdr.kernel);
		pm_json_str(&js, "hooks", m->hdr.hooks);
		pm_json_str(&js, "clock", "monotonic");
		pm_json_u64(&js, "records", m->records);
		pm_json_u64(&js, "lost_events", m->lost);
		pm_json_u64(&js, "skipped_records", m->skipped);
		pm_json_str(&js, "source", source);
		pm_json_arr(&js, "stages");
		for (i = 0; i < n; i++) {
			const struct pm_hist *h = &v[i].h;

			pm_json_obj(&js, NULL);
			pm_json_str(&js, "name", v[i].display);
			pm_json_u64(&js, "count", h->count);
			pm_json_u64(&js, "sum_ns", h->sum);
			json_mean_pcts(&js, h, "_ns");
			pm_json_u64(&js, "max_ns", h->max);
			if (v[i].is_stage && tot > 0)
				pm_json_fixed(&js, "share", (double)h->sum / tot, 4);
			else
				pm_json_null(&js, "share");
			pm_json_end(&js);
		}
		pm_json_end(&js);
		pm_json_arr(&js, "histograms");
		for (i = 0; i < m->nhists; i++) {
			const struct pm_hist *h = &m->hists[i].h;

			if (!strcmp(m->hists[i].unit, "ns"))
				continue;
			pm_json_obj(&js, NULL);
			pm_json_str(&js, "name", m->hists[i].name);
			pm_json_str(&js, "unit", m->hists[i].unit);
			pm_json_u64(&js, "count", h->count);
			pm_json_u64(&js, "sum", h->sum);
			pm_json_fixed(&js, "p50", pm_hist_percentile(h, 50), 1);
			pm_json_u64(&js, "max", h->max);
			pm_json_end(&js);
		}
		pm_json_end(&js);
		pm_json_arr(&js, "counters");
		for (i = 0; i < m->ncounters; i++) {
			pm_json_obj(&js, NULL);
			pm_json_str(&js, "name", m->counters[i].name);
			pm_json_str(&js, "unit", m->counters[i].unit);
			if (m->counters[i].available)
				pm_json_u64(&js, "value", m->counters[i].value);
			else
				pm_json_null(&js, "value");
			pm_json_end(&js);
		}
		pm_json_end(&js);
		report_kinds_json(m, &js);
		pm_json_end(&js);
		return json_done(&js, stderr);
	}
	if (fmt == FMT_CSV) {
		fprintf(out, "kind,name,count,sum_ns,mean_ns,p50_ns,p90_ns,p99_ns,p99.9_ns,max_ns,share,value\n");
		for (i = 0; i < n; i++) {
			const struct pm_hist *h = &v[i].h;

			fprintf(out, "stage,");
			csv_str(out, v[i].display);
			fprintf(out, ",%llu,%llu,%.1f", h->count, h->sum, pm_hist_mean(h));
			for (j = 0; j < 4; j++)
				fprintf(out, ",%.1f", pm_hist_percentile(h, pcts[j]));
			fprintf(out, ",%llu,", h->max);
			if (v[i].is_stage && tot > 0)
				fprintf(out, "%.4f", (double)h->sum / tot);
			fprintf(out, ",\n");
		}
		for (i = 0; i < m->ncounters; i++) {
			fprintf(out, "counter,");
			csv_str(out, m->counters[i].name);
			fprintf(out, ",,,,,,,,,,");
			if (m->counters[i].available)
				fprintf(out, "%llu", m->counters[i].value);
			fprintf(out, "\n");
		}
		report_kinds(m, out, fmt);
		return 0;
	}
	fprintf(out, "%s: %s on %s, hooks: %s\n", m->path, m->hdr.tool, m->hdr.kernel,
		m->hdr.hooks);
	fprintf(out, "log version %u, records %llu, clock monotonic, stages from %s\n",
		m->hdr.version, (unsigned long long)m->records, source);
	if (m->lost)
		fprintf(out, "WARNING: %llu events were lost while recording: per-event data "
			"(timeline) is incomplete\n", (unsigned long long)m->lost);
	if (m->skipped)
		fprintf(out, "note: %llu optional records of kinds this build does not know were "
			"skipped\n", (unsigned long long)m->skipped);
	w = name_width(v, n);
	fprintf(out, "\n%-*s %8s %10s %10s %10s %10s %10s %10s %7s\n", w, "stage", "count",
		"mean us", "p50 us", "p90 us", "p99 us", "p99.9 us", "max us", "share");
	for (i = 0; i < n; i++) {
		const struct pm_hist *h = &v[i].h;

		fprintf(out, "%-*s %8llu %10.1f", w, v[i].display, h->count, pm_hist_mean(h) / 1e3);
		for (j = 0; j < 4; j++)
			fprintf(out, " %10.1f", pm_hist_percentile(h, pcts[j]) / 1e3);
		fprintf(out, " %10.1f", (double)h->max / 1e3);
		if (v[i].is_stage && tot > 0)
			fprintf(out, " %6.1f%%\n", 100.0 * (double)h->sum / tot);
		else
			fprintf(out, " %7s\n", "-");
	}
	if (nother) {
		fprintf(out, "\n%-24s %-8s %8s %12s %12s %12s\n", "histogram", "unit", "count", "mean",
			"p50", "max");
		for (i = 0; i < m->nhists; i++) {
			const struct pm_hist *h = &m->hists[i].h;

			if (!strcmp(m->hists[i].unit, "ns"))
				continue;
			fprintf(out, "%-24s %-8s %8llu %12.1f %12.1f %12llu\n", m->hists[i].name,
				m->hists[i].unit[0] ? m->hists[i].unit : "-", h->count,
				pm_hist_mean(h), pm_hist_percentile(h, 50), h->max);
		}
	}
	if (m->ncounters) {
		fprintf(out, "\n");
		for (i = 0; i < m->ncounters; i++) {
			if (m->counters[i].available)
				fprintf(out, "%-28s %llu%s%s\n", m->counters[i].name,
					m->counters[i].value, m->counters[i].unit[0] ? " " : "",
					m->counters[i].unit);
			else
				fprintf(out, "%-28s unavailable on the traced kernel\n",
					m->counters[i].name);
		}
	}
	report_kinds(m, out, fmt);
	for (i = 0; i < n; i++)
		log2_chart(out, v[i].display, &v[i].h);
	return 0;
}

int pm_diff(const struct model *a, const struct model *b, FILE *out, enum fmt fmt, FILE *err)
{
	static struct named_hist ba[PM_MAX_NAMED], bb[PM_MAX_NAMED];
	const struct named_hist *va, *vb;
	const char *sa, *sb;
	int na, nb, i, j, w = 10, first = 1;
	struct pm_json js;

	pm_stage_view(a, &va, &na, &sa, ba);
	pm_stage_view(b, &vb, &nb, &sb, bb);
	if (fmt == FMT_JSON) {
		pm_json_begin(&js, out);
		pm_json_obj(&js, NULL);
		pm_json_str(&js, "base", a->path);
		pm_json_str(&js, "new", b->path);
		pm_json_arr(&js, "stages");
	} else if (fmt == FMT_CSV) {
		fprintf(out, "stage,base_count,new_count,base_p50_ns,new_p50_ns,ratio,ci_lo,ci_hi,significant\n");
	} else {
		w = name_width(va, na);
		fprintf(out, "%-*s %8s %8s %12s %12s %8s %18s\n", w, "stage", "base n", "new n",
			"base p50 us", "new p50 us", "ratio", "95% CI");
	}
	for (i = 0; i < na; i++) {
		struct pm_ratio_ci ci;
		int sig;

		for (j = 0; j < nb && strcmp(va[i].display, vb[j].display); j++)
			;
		if (j == nb)
			continue;
		if (pm_median_ratio_ci(&va[i].h, &vb[j].h, 1000, 42, &ci)) {
			fprintf(err, "pagemove: stage %s: empty or zero median, no ratio\n",
				va[i].display);
			continue;
		}
		sig = !(ci.lo <= 1 && 1 <= ci.hi);
		if (fmt == FMT_JSON) {
			pm_json_obj(&js, NULL);
			pm_json_str(&js, "name", va[i].display);
			pm_json_u64(&js, "base_count", va[i].h.count);
			pm_json_u64(&js, "new_count", vb[j].h.count);
			pm_json_fixed(&js, "base_p50_ns", pm_hist_percentile(&va[i].h, 50), 1);
			pm_json_fixed(&js, "new_p50_ns", pm_hist_percentile(&vb[j].h, 50), 1);
			pm_json_fixed(&js, "ratio", ci.ratio, 4);
			pm_json_arr(&js, "ci");
			pm_json_fixed(&js, NULL, ci.lo, 4);
			pm_json_fixed(&js, NULL, ci.hi, 4);
			pm_json_end(&js);
			pm_json_bool(&js, "significant", sig);
			pm_json_end(&js);
		} else if (fmt == FMT_CSV) {
			csv_str(out, va[i].display);
			fprintf(out, ",%llu,%llu,%.1f,%.1f,%.4f,%.4f,%.4f,%d\n", va[i].h.count,
				vb[j].h.count, pm_hist_percentile(&va[i].h, 50),
				pm_hist_percentile(&vb[j].h, 50), ci.ratio, ci.lo, ci.hi, sig);
		} else {
			fprintf(out, "%-*s %8llu %8llu %12.1f %12.1f %7.3fx   [%.3f, %.3f]  %s\n",
				w, va[i].display, va[i].h.count, vb[j].h.count,
				pm_hist_percentile(&va[i].h, 50) / 1e3,
				pm_hist_percentile(&vb[j].h, 50) / 1e3, ci.ratio, ci.lo, ci.hi,
				sig ? (ci.ratio > 1 ? "slower" : "faster") : "no significant difference");
		}
		first = 0;
	}
	if (fmt == FMT_JSON) {
		pm_json_end(&js);
		pm_json_end(&js);
		if (json_done(&js, err))
			return 1;
	}
	if (first) {
		fprintf(err, "pagemove: %s and %s have no stage in common\n", a->path, b->path);
		return 1;
	}
	return 0;
}

/* The fields of a declared-kind record as trace-event args. */
static void json_args(struct pm_json *j, struct pm_log_reader *r, const struct pm_kind *k,
		      const uint64_t *v)
{
	unsigned int i;

	pm_json_obj(j, "args");
	for (i = 0; i < k->decl.nfields; i++) {
		const char *l = (k->fields[i].flags & PM_FIELD_ENUM) ?
				pm_log_label_name(r, k->decl.id, i, v[i]) : NULL;

		if (l)
			pm_json_str(j, k->fields[i].name, l);
		else
			pm_json_u64(j, k->fields[i].name, v[i]);
	}
	pm_json_end(j);
}

int pm_timeline(struct pm_log_reader *r, const char *path, FILE *f, enum fmt fmt, FILE *err,
		uint64_t *written)
{
	const struct pm_log_header *hdr = pm_log_header(r);
	struct pm_rec rec;
	struct pm_json j;
	uint64_t n = 0;
	int rc;

	if (fmt == FMT_CSV) {
		fprintf(f, "start_ns,dur_ns,cpu,tgid,pid,op,stage,pages\n");
	} else {
		pm_json_begin(&j, f);
		pm_json_obj(&j, NULL);
		pm_json_str(&j, "displayTimeUnit", "ns");
		pm_json_obj(&j, "otherData");
		pm_json_str(&j, "tool", hdr->tool);
		pm_json_str(&j, "kernel", hdr->kernel);
		pm_json_end(&j);
		pm_json_arr_lines(&j, "traceEvents");	/* an event a line */
	}
	while ((rc = pm_log_next(r, &rec)) > 0) {
		struct pm_slice sl;
		const struct pm_kind *k;
		const uint64_t *v;
		unsigned int i;

		if (rec.hdr.type == PM_REC_SLICES) {
			for (i = 0; i < pm_slices_count(&rec); i++, n++) {
				pm_slices_get(&rec, i, &sl);
				if (sl.dur_ns > sl.end_ns) {
					fprintf(err, "pagemove: %s: slice %u starts before time 0 at "
						"offset %llu\n", path, i,
						(unsigned long long)pm_log_offset(r));
					rc = -2;
					goto out;
				}
				if (fmt == FMT_CSV) {
					fprintf(f, "%llu,%llu,%u,%u,%u,%llu,",
						(unsigned long long)(sl.end_ns - sl.dur_ns),
						(unsigned long long)sl.dur_ns, sl.cpu, sl.tgid, sl.pid,
						(unsigned long long)sl.op_id);
					csv_str(f, pm_log_stage_name(r, sl.stage));
					fprintf(f, ",%u\n", sl.pages);
					continue;
				}
				pm_json_obj(&j, NULL);
				pm_json_str(&j, "name", pm_log_stage_name(r, sl.stage));
				pm_json_str(&j, "cat", hdr->tool);
				pm_json_str(&j, "ph", "X");
				pm_json_fixed(&j, "ts", (double)(sl.end_ns - sl.dur_ns) / 1e3, 3);
				pm_json_fixed(&j, "dur", (double)sl.dur_ns / 1e3, 3);
				pm_json_u64(&j, "pid", sl.tgid);
				pm_json_u64(&j, "tid", sl.pid);
				pm_json_obj(&j, "args");
				pm_json_u64(&j, "op", sl.op_id);
				pm_json_u64(&j, "pages", sl.pages);
				pm_json_u64(&j, "cpu", sl.cpu);
				pm_json_end(&j);
				pm_json_end(&j);
			}
			continue;
		}
		k = pm_log_kind(r, rec.hdr.type);
		if (!k)
			continue;
		v = rec.payload;
		if (k->decl.class == PM_DECL_SPAN && v[0] > rec.hdr.ts_ns) {
			fprintf(err, "pagemove: %s: span starts before time 0 at offset %llu\n", path,
				(unsigned long long)pm_log_offset(r));
			rc = -2;
			goto out;
		}
		if (fmt == FMT_CSV) {
			if (k->decl.class != PM_DECL_SPAN)
				continue;
			fprintf(f, "%llu,%llu,%u,,,,", (unsigned long long)(rec.hdr.ts_ns - v[0]),
				(unsigned long long)v[0], rec.hdr.cpu);
			csv_str(f, k->decl.name);
			fprintf(f, ",\n");
			n++;
			continue;
		}
		n++;
		pm_json_obj(&j, NULL);
		pm_json_str(&j, "name", k->decl.name);
		pm_json_str(&j, "cat", hdr->tool);
		if (k->decl.class == PM_DECL_SPAN) {
			pm_json_str(&j, "ph", "X");
			pm_json_fixed(&j, "ts", (double)(rec.hdr.ts_ns - v[0]) / 1e3, 3);
			pm_json_fixed(&j, "dur", (double)v[0] / 1e3, 3);
		} else {
			pm_json_str(&j, "ph", "i");
			pm_json_str(&j, "s", "t");
			pm_json_fixed(&j, "ts", (double)rec.hdr.ts_ns / 1e3, 3);
		}
		pm_json_u64(&j, "pid", 0);
		pm_json_u64(&j, "tid", rec.hdr.cpu);
		json_args(&j, r, k, v);
		pm_json_end(&j);
	}
out:
	if (fmt != FMT_CSV) {
		pm_json_end(&j);
		pm_json_end(&j);
		if (json_done(&j, err))
			rc = -2;
	}
	*written = n;
	if (rc == -1)
		fprintf(err, "pagemove: %s\n", pm_log_error(r));
	else if (!rc && pm_log_lost(r))
		fprintf(err, "pagemove: WARNING: %llu events were lost while recording: the "
			"timeline misses them\n", (unsigned long long)pm_log_lost(r));
	if (!rc && pm_log_skipped(r))
		fprintf(err, "pagemove: note: %llu optional records of kinds this build does not "
			"know were skipped\n", (unsigned long long)pm_log_skipped(r));
	return rc < 0 ? 1 : 0;
}

/* --- plot ------------------------------------------------------------------- */

/*
 * The points of a stage's latency CDF: for each non-empty slot, its upper
 * bound and the fraction of values at or below it.  Returns the number of
 * points; call with i = 0, 1, ... until it returns 0.  The histogram is
 * one the reader checked (count = sum of slots, max in the top slot).
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

int pm_plot_count(const struct model *m)
{
	static struct named_hist buf[PM_MAX_NAMED];
	const struct named_hist *v;
	const char *source;
	int n, i, k = 0;

	pm_stage_view(m, &v, &n, &source, buf);
	for (i = 0; i < n; i++)
		k += v[i].h.count > 0;
	return k;
}

int pm_plot_data(const struct model *m, FILE *f, enum fmt fmt)
{
	static struct named_hist buf[PM_MAX_NAMED];
	const struct named_hist *v;
	const char *source;
	unsigned int slot;
	uint64_t cum, le;
	double frac;
	struct pm_json j;
	int n, i;

	pm_stage_view(m, &v, &n, &source, buf);
	if (fmt == FMT_CSV) {
		fprintf(f, "stage,le_ns,fraction\n");
	} else {
		pm_json_begin(&j, f);
		pm_json_obj(&j, NULL);
		pm_json_str(&j, "file", m->path);
		pm_json_arr(&j, "stages");
	}
	for (i = 0; i < n; i++) {
		if (fmt == FMT_JSON) {
			pm_json_obj(&j, NULL);
			pm_json_str(&j, "name", v[i].display);
			pm_json_u64(&j, "count", v[i].h.count);
			pm_json_arr(&j, "cdf");
		}
		for (slot = 0, cum = 0; cdf_point(&v[i].h, &slot, &cum, &le, &frac); ) {
			if (fmt == FMT_CSV) {
				csv_str(f, v[i].display);
				fprintf(f, ",%llu,%.6f\n", (unsigned long long)le, frac);
			} else {
				pm_json_arr(&j, NULL);
				pm_json_u64(&j, NULL, le);
				pm_json_fixed(&j, NULL, frac, 6);
				pm_json_end(&j);
			}
		}
		if (fmt == FMT_JSON) {
			pm_json_end(&j);
			pm_json_end(&j);
		}
	}
	if (fmt == FMT_JSON) {
		pm_json_end(&j);
		pm_json_end(&j);
		return json_done(&j, stderr);
	}
	return 0;
}

/*
 * A log string for gnuplot's data file: in double quotes.  A string the
 * reader let through is printable ASCII, so only '"' could end it, and
 * '\' escape what follows (gnuplot reads backslash escapes in quoted
 * data): those two become ' and /, anything else unprintable '_'.
 */
static void data_label(FILE *f, const char *s)
{
	for (fputc('"', f); *s; s++)
		fputc(*s == '"' ? '\'' : *s == '\\' ? '/' : (*s >= 0x20 && *s <= 0x7e ? *s : '_'), f);
	fputc('"', f);
}

int pm_plot_datafile(const struct model *m, FILE *f)
{
	static struct named_hist buf[PM_MAX_NAMED];
	const struct named_hist *v;
	const char *source;
	unsigned int slot;
	uint64_t cum, le;
	double frac;
	int n, i, j, k = 0;

	pm_stage_view(m, &v, &n, &source, buf);
	/*
	 * Per plotted stage k: index 2k its CDF, 2k + 1 its log2 buckets (us,
	 * share); each block starts with the stage's name (columnheader).
	 */
	for (i = 0; i < n; i++) {
		unsigned long long buckets[65] = { 0 };
		int lo, hi;

		if (!v[i].h.count)
			continue;
		fprintf(f, "# stage %d: CDF\n", k);
		data_label(f, v[i].display);
		fputc(' ', f);
		data_label(f, v[i].display);
		fputc('\n', f);
		/* the reader refused count > 0 with every slot empty; bounded anyway */
		for (slot = 0; slot + 1 < PM_HIST_SLOTS && !v[i].h.slots[slot]; slot++)
			;
		fprintf(f, "%g 0\n", (double)pm_hist_slot_low(slot) / 1e3);
		for (slot = 0, cum = 0; cdf_point(&v[i].h, &slot, &cum, &le, &frac);)
			fprintf(f, "%g %g\n", (double)le / 1e3, frac);
		fprintf(f, "\n\n# stage %d: log2 buckets\n", k);
		data_label(f, v[i].display);
		fputc(' ', f);
		data_label(f, v[i].display);
		fputc('\n', f);
		for (slot = 0; slot < PM_HIST_SLOTS; slot++) {
			unsigned long long us = pm_hist_slot_low(slot) / 1000;

			buckets[us ? pm_log2(us) + 1 : 0] += v[i].h.slots[slot];
		}
		for (lo = 0; lo < 64 && !buckets[lo]; lo++)
			;
		for (hi = 64; hi > lo && !buckets[hi]; hi--)
			;
		/* every bucket in the range, empty ones too, and one either side */
		for (j = lo ? lo - 1 : 0; j <= hi + 1 && j < 65; j++)
			fprintf(f, "%g %g\n", j ? (double)(1ULL << (j - 1)) * 1.5 : 0.5,
				(double)buckets[j] / (double)v[i].h.count);
		fprintf(f, "\n\n");
		k++;
	}
	return 0;
}

/* The characters a title may keep; any other becomes '_'. */
static bool title_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(" ._,:=+-/()", c));
}

static void title_str(FILE *g, const char *s)
{
	for (; *s; s++)
		fputc(title_char(*s) ? *s : '_', g);
}

static const char *const fixed_lines[] = {
	"set terminal svg size 900,900 dynamic",
	"set termoption noenhanced",
	"set logscale x",
	"set grid",
	"set key outside right noenhanced",
	"set xlabel 'latency (us)'",
	"set ylabel 'share of events'",
	"set title 'histogram (log2 buckets)'",
	"set ylabel 'fraction at or below'",
	"set yrange [0:1]",
	"set title 'CDF'",
	"unset multiplot",
	NULL,
};

int pm_plot_script(const struct model *m, FILE *g, const char *datafile)
{
	static struct named_hist buf[PM_MAX_NAMED];
	const struct named_hist *v;
	const char *source;
	int n, i, j, k;

	pm_stage_view(m, &v, &n, &source, buf);
	fprintf(g, "%s\n%s\n", fixed_lines[0], fixed_lines[1]);
	fprintf(g, "set multiplot layout 2,1 title '");
	title_str(g, m->hdr.tool);
	fprintf(g, " on ");
	title_str(g, m->hdr.kernel);
	fprintf(g, " (");
	title_str(g, source);
	fprintf(g, ")'\n");
	for (i = 2; i <= 7; i++)
		fprintf(g, "%s\n", fixed_lines[i]);
	for (k = 0; k < 2; k++) {
		if (k)
			fprintf(g, "%s\n%s\n%s\n", fixed_lines[8], fixed_lines[9], fixed_lines[10]);
		fprintf(g, "plot ");
		for (i = 0, j = 0; i < n; i++) {
			if (!v[i].h.count)
				continue;
			fprintf(g, "%s'%s' index %d using 1:2 with %s lw 2 title columnheader(1)",
				j ? ", " : "", datafile, 2 * j + !k, k ? "steps" : "histeps");
			j++;
		}
		fprintf(g, "\n");
	}
	fprintf(g, "%s\n", fixed_lines[11]);
	return 0;
}

/* Does @s start with @p?  Then step over it. */
static bool eat(const char **s, const char *p)
{
	size_t n = strlen(p);

	if (strncmp(*s, p, n))
		return false;
	*s += n;
	return true;
}

static bool eat_uint(const char **s)
{
	const char *p = *s;

	while (**s >= '0' && **s <= '9')
		(*s)++;
	return *s > p && *s - p < 6;
}

/* One plot element: 'DATA' index N using 1:2 with steps|histeps lw 2 title columnheader(1) */
static bool plot_item(const char **s, const char *datafile)
{
	return eat(s, "'") && eat(s, datafile) && eat(s, "' index ") && eat_uint(s) &&
	       eat(s, " using 1:2 with ") && (eat(s, "histeps") || eat(s, "steps")) &&
	       eat(s, " lw 2 title columnheader(1)");
}

static bool script_line_ok(const char *line, const char *datafile)
{
	const char *s = line;
	int i;

	for (i = 0; fixed_lines[i]; i++)
		if (!strcmp(line, fixed_lines[i]))
			return true;
	if (eat(&s, "set multiplot layout 2,1 title '")) {
		while (*s && title_char(*s))
			s++;
		return !strcmp(s, "'");
	}
	if (eat(&s, "plot ")) {
		do {
			if (!plot_item(&s, datafile))
				return false;
		} while (eat(&s, ", "));
		return !*s;
	}
	return false;
}

const char *pm_plot_script_check(const char *script, const char *datafile)
{
	static char bad[128];
	static const char *const never[] = { "!", "system", "shell", "load", "call", "`", "pipe",
					     "<", "|", "eval", "cd", "print", "save", "exit",
					     "\\", "$", NULL };
	const char *p = script, *nl;
	char line[4096];
	const char *d;
	size_t n;
	int i, q;

	/* the data file name itself: from mkstemp, a closed alphabet too */
	for (d = datafile; *d; d++)
		if (!title_char(*d) || *d == ' ' || *d == ',' || *d == ':' || *d == '(' || *d == ')')
			return "data file name outside [A-Za-z0-9._+=/-]";
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			return "last line not terminated";
		n = (size_t)(nl - p);
		if (n >= sizeof(line))
			return "line too long";
		memcpy(line, p, n);
		line[n] = 0;
		if (!script_line_ok(line, datafile)) {
			snprintf(bad, sizeof(bad), "not a whitelisted line: %.80s", line);
			return bad;
		}
		/*
		 * Belt and braces: whatever the whitelist says, nothing outside
		 * a quoted string that makes gnuplot run or read something.
		 */
		for (i = 0, q = 0; line[i]; i++) {
			if (line[i] == '\'')
				q = !q;
			else if (q)
				line[i] = ' ';
		}
		for (i = 0; never[i]; i++) {
			if (strstr(line, never[i])) {
				snprintf(bad, sizeof(bad), "forbidden '%s' outside strings", never[i]);
				return bad;
			}
		}
		p = nl + 1;
	}
	return NULL;
}

const char *pm_plot_data_check(const char *data)
{
	const char *p = data, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			return "last line not terminated";
		if (*p == '#') {
			for (; p < nl; p++)
				if (!title_char(*p) && *p != '#')
					return "comment with characters outside the closed alphabet";
		} else if (*p == '"') {
			int quotes = 0;

			for (; p < nl; p++) {
				if (*p < 0x20 || *p > 0x7e || *p == '\\')
					return "label with a backslash or a non-printable byte";
				quotes += *p == '"';
			}
			if (quotes != 4)
				return "label line that is not two quoted labels";
		} else {
			for (; p < nl; p++)
				if (!strchr("0123456789.e+- ", *p))
					return "data line that is not numbers";
		}
		p = nl + 1;
	}
	return NULL;
}
