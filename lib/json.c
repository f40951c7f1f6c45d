// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <math.h>

#include "hist_api.h"
#include "json.h"

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

void pm_json_quote(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
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

void pm_json_begin(struct pm_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->bad = false;
	j->first[0] = true;
	j->array[0] = true;	/* the top takes values without keys */
	j->lines[0] = false;
}

/* The comma and the key before a value; a key where none belongs is a misuse. */
static void value(struct pm_json *j, const char *key)
{
	if (!j->first[j->depth]) {
		if (!j->depth)
			j->bad = true;	/* one value at the top */
		else
			fputc(',', j->f);
	}
	if (j->lines[j->depth])
		fputc('\n', j->f);
	j->first[j->depth] = false;
	if (j->array[j->depth] != !key)
		j->bad = true;
	if (key) {
		pm_json_quote(j->f, key);
		fputc(':', j->f);
	}
}

static void json_open(struct pm_json *j, const char *key, bool array, bool lines)
{
	value(j, key);
	fputc(array ? '[' : '{', j->f);
	if (j->depth == PM_JSON_MAX_DEPTH) {
		j->bad = true;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
	j->array[j->depth] = array;
	j->lines[j->depth] = lines;
}

void pm_json_obj(struct pm_json *j, const char *key)
{
	json_open(j, key, false, false);
}

void pm_json_arr(struct pm_json *j, const char *key)
{
	json_open(j, key, true, false);
}

void pm_json_arr_lines(struct pm_json *j, const char *key)
{
	json_open(j, key, true, true);
}

void pm_json_end(struct pm_json *j)
{
	if (!j->depth) {
		j->bad = true;
		return;
	}
	if (j->lines[j->depth])
		fputc('\n', j->f);
	fputc(j->array[j->depth] ? ']' : '}', j->f);
	j->depth--;
}

int pm_json_finish(struct pm_json *j)
{
	while (j->depth) {
		j->bad = true;
		pm_json_end(j);
	}
	fputc('\n', j->f);
	return j->bad ? -1 : 0;
}

void pm_json_str(struct pm_json *j, const char *key, const char *v)
{
	value(j, key);
	pm_json_quote(j->f, v);
}

void pm_json_u64(struct pm_json *j, const char *key, uint64_t v)
{
	value(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void pm_json_i64(struct pm_json *j, const char *key, int64_t v)
{
	value(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void pm_json_dbl(struct pm_json *j, const char *key, double v, int prec)
{
	value(j, key);
	if (!isfinite(v))
		fputs("null", j->f);
	else
		fprintf(j->f, "%.*g", prec > 0 ? prec : 17, v);
}

void pm_json_fixed(struct pm_json *j, const char *key, double v, int decimals)
{
	value(j, key);
	if (!isfinite(v))
		fputs("null", j->f);
	else
		fprintf(j->f, "%.*f", decimals > 0 ? decimals : 0, v);
}

void pm_json_bool(struct pm_json *j, const char *key, bool v)
{
	value(j, key);
	fputs(v ? "true" : "false", j->f);
}

void pm_json_null(struct pm_json *j, const char *key)
{
	value(j, key);
	fputs("null", j->f);
}

void pm_json_hist(struct pm_json *j, const char *key, const struct pm_hist *h)
{
	pm_json_obj(j, key);
	pm_json_u64(j, "count", h->count);
	pm_json_u64(j, "sum", h->sum);
	pm_json_dbl(j, "mean", round(pm_hist_mean(h)), 0);
	pm_json_dbl(j, "p50", round(pm_hist_percentile(h, 50)), 0);
	pm_json_dbl(j, "p90", round(pm_hist_percentile(h, 90)), 0);
	pm_json_dbl(j, "p99", round(pm_hist_percentile(h, 99)), 0);
	pm_json_u64(j, "max", h->max);
	pm_json_end(j);
}
