// SPDX-License-Identifier: GPL-2.0
/* The bootstrap of a median ratio, against distributions made here. */
#include <math.h>
#include <string.h>

#include "../../lib/stats.h"
#include "unit.h"

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* n exponential values with the given mean, as a histogram. */
static void exp_hist(struct pm_hist *h, int n, double mean, uint64_t seed)
{
	int i;

	memset(h, 0, sizeof(*h));
	for (i = 0; i < n; i++) {
		double u = ((double)(rnd(&seed) >> 11) + 0.5) / 9007199254740992.0;

		pm_hist_add(h, (uint64_t)(-log(u) * mean));
	}
}

TEST(same_distribution_interval_spans_one)
{
	static struct pm_hist a, b;
	struct pm_ratio_ci ci;
	int trial, covered = 0;

	for (trial = 0; trial < 20; trial++) {
		exp_hist(&a, 2000, 100000, 11 + trial);
		exp_hist(&b, 2000, 100000, 911 + trial);
		CHECK(pm_median_ratio_ci(&a, &b, 400, 7 + trial, &ci) == 0, "failed");
		covered += ci.lo <= 1 && 1 <= ci.hi;
	}
	/* A 95% interval misses the true ratio about once in 20. */
	CHECK(covered >= 17, "interval spanned 1 in only %d of 20 trials", covered);
}

/*
 * Coverage against a known distribution: exponential values of means
 * 100 us and 150 us have medians in the ratio 1.5 exactly (the median of
 * an exponential is its mean times ln 2).  Over 100 independent pairs of
 * samples, a 95% interval must contain 1.5 about 95 times: at least 85
 * (3 standard deviations below) and not always (an interval too wide to
 * miss proves nothing either: at most 99).  Fixed seeds: deterministic.
 */
TEST(interval_covers_the_true_ratio_95_percent_of_the_time)
{
	static struct pm_hist a, b;
	struct pm_ratio_ci ci;
	int trial, covered = 0, n = 100;

	for (trial = 0; trial < n; trial++) {
		exp_hist(&a, 400, 100000, 1000 + 2 * trial);
		exp_hist(&b, 400, 150000, 5001 + 2 * trial);
		CHECK(pm_median_ratio_ci(&a, &b, 200, 77 + trial, &ci) == 0, "failed");
		covered += ci.lo <= 1.5 && 1.5 <= ci.hi;
	}
	CHECK(covered >= 85 && covered <= 99, "the 95%% interval held 1.5 in %d of %d trials",
	      covered, n);
}

TEST(shift_of_one_and_a_half_is_found)
{
	static struct pm_hist a, b;
	struct pm_ratio_ci ci;

	exp_hist(&a, 5000, 100000, 3);
	exp_hist(&b, 5000, 150000, 5);
	CHECK(pm_median_ratio_ci(&a, &b, 400, 1, &ci) == 0, "failed");
	CHECK(ci.lo > 1.3 && ci.hi < 1.7 && ci.lo <= 1.5 && 1.5 <= ci.hi,
	      "ratio %.3f [%.3f, %.3f]", ci.ratio, ci.lo, ci.hi);
}

TEST(large_samples_narrow_the_interval)
{
	static struct pm_hist a, b, c, d;
	struct pm_ratio_ci small, big;

	exp_hist(&a, 2000, 100000, 21);
	exp_hist(&b, 2000, 100000, 22);
	exp_hist(&c, 200000, 100000, 23);
	exp_hist(&d, 200000, 100000, 24);
	CHECK(pm_median_ratio_ci(&a, &b, 200, 1, &small) == 0 &&
	      pm_median_ratio_ci(&c, &d, 200, 1, &big) == 0, "failed");
	/* Coverage is tested above; here only the width: ~1/sqrt(100). */
	CHECK(big.hi - big.lo < (small.hi - small.lo) / 4,
	      "100x the samples: width %.4f vs %.4f", big.hi - big.lo, small.hi - small.lo);
}

TEST(empty_histograms_are_refused)
{
	static struct pm_hist a, b;
	struct pm_ratio_ci ci;

	memset(&a, 0, sizeof(a));
	exp_hist(&b, 100, 1000, 1);
	CHECK(pm_median_ratio_ci(&a, &b, 100, 1, &ci) < 0, "empty accepted");
}

UNIT_MAIN
