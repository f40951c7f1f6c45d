// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static double uniform(uint64_t *s)
{
	return (double)(next(s) >> 11) / 9007199254740992.0;
}

/* Cumulative slot counts, for drawing values by inverse CDF. */
struct sampler {
	const struct pm_hist *h;
	uint64_t cum[PM_HIST_SLOTS];
};

static void sampler_init(struct sampler *sp, const struct pm_hist *h)
{
	uint64_t c = 0;
	unsigned int i;

	sp->h = h;
	for (i = 0; i < PM_HIST_SLOTS; i++) {
		c += h->slots[i];
		sp->cum[i] = c;
	}
}

static double draw(const struct sampler *sp, uint64_t *s)
{
	uint64_t r = next(s) % sp->h->count;
	unsigned int lo = 0, hi = PM_HIST_SLOTS - 1, mid;
	double a, b;

	while (lo < hi) {	/* first slot with cum > r */
		mid = (lo + hi) / 2;
		if (sp->cum[mid] > r)
			hi = mid;
		else
			lo = mid + 1;
	}
	a = (double)pm_hist_slot_low(lo);
	b = (double)pm_hist_slot_high(lo);
	if (b > (double)sp->h->max)
		b = (double)sp->h->max;
	return b > a ? a + (b - a) * uniform(s) : a;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

double pm_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double resample_median(const struct sampler *sp, int m, double *buf, uint64_t *s)
{
	int i;

	for (i = 0; i < m; i++)
		buf[i] = draw(sp, s);
	return pm_median(buf, (size_t)m);
}

int pm_median_ratio_ci(const struct pm_hist *base, const struct pm_hist *new_,
		       int iters, uint64_t seed, struct pm_ratio_ci *out)
{
	struct sampler *sb = NULL, *sn = NULL;
	double *buf = NULL, *ratios = NULL, mb, mn, scale_b, scale_n, half_lo, half_hi;
	int mb_n, mn_n, i, rc = -1;
	uint64_t s = seed | 1;

	if (!base->count || !new_->count || iters < 10)
		return -1;
	mb = pm_hist_percentile(base, 50);
	mn = pm_hist_percentile(new_, 50);
	if (mb <= 0 || mn <= 0)
		return -1;
	mb_n = base->count > PM_BOOT_MAX ? PM_BOOT_MAX : (int)base->count;
	mn_n = new_->count > PM_BOOT_MAX ? PM_BOOT_MAX : (int)new_->count;
	sb = malloc(sizeof(*sb));
	sn = malloc(sizeof(*sn));
	buf = malloc(sizeof(*buf) * PM_BOOT_MAX);
	ratios = malloc(sizeof(*ratios) * iters);
	if (!sb || !sn || !buf || !ratios)
		goto out;
	sampler_init(sb, base);
	sampler_init(sn, new_);
	for (i = 0; i < iters; i++) {
		double b = resample_median(sb, mb_n, buf, &s);
		double n = resample_median(sn, mn_n, buf, &s);

		ratios[i] = b > 0 ? log(n / b) : 0;
	}
	qsort(ratios, iters, sizeof(*ratios), cmp_double);
	out->ratio = mn / mb;
	/* m-out-of-n: the spread shrinks as 1/sqrt(n); use the larger scale. */
	scale_b = sqrt((double)mb_n / (double)base->count);
	scale_n = sqrt((double)mn_n / (double)new_->count);
	half_lo = log(out->ratio) - ratios[(int)(0.025 * (iters - 1))];
	half_hi = ratios[(int)ceil(0.975 * (iters - 1))] - log(out->ratio);
	half_lo *= fmax(scale_b, scale_n);
	half_hi *= fmax(scale_b, scale_n);
	out->lo = exp(log(out->ratio) - fmax(half_lo, 0));
	out->hi = exp(log(out->ratio) + fmax(half_hi, 0));
	rc = 0;
out:
	free(sb);
	free(sn);
	free(buf);
	free(ratios);
	return rc;
}
