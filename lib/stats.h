/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Statistics: the median of a sample (the one of pagemove: hmmbench, the
 * bootstrap, and through tools/pmstat the bench scripts), and over the
 * shared histograms a bootstrap of a median ratio.
 */
#ifndef PAGEMOVE_LIB_STATS_H
#define PAGEMOVE_LIB_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "hist_api.h"

/*
 * Sort @v (@n values, NaN not allowed) ascending and return its median:
 * the middle value, or the mean of the two middle ones.  NaN if @n is 0.
 */
double pm_median(double *v, size_t n);

struct pm_ratio_ci {
	double ratio;	/* median(new) / median(base) */
	double lo, hi;	/* 95% confidence interval of the ratio */
};

/*
 * Bootstrap the ratio of medians of two histograms: @iters resamples of
 * each, drawn from its slots (values uniform within a slot).  Samples of
 * more than PM_BOOT_MAX values are resampled m-out-of-n with m =
 * PM_BOOT_MAX and the interval's width scaled by sqrt(m/n), so the cost
 * does not grow with the number of events.  @seed makes it repeatable.
 * Returns -1 if either histogram is empty or a median is 0.
 */
#define PM_BOOT_MAX 4000
int pm_median_ratio_ci(const struct pm_hist *base, const struct pm_hist *new_,
		       int iters, uint64_t seed, struct pm_ratio_ci *out);

#endif /* PAGEMOVE_LIB_STATS_H */
