// SPDX-License-Identifier: GPL-2.0
/*
 * The shared histogram: slot mapping over the whole u64 range, and
 * percentiles against exact ones of distributions generated here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/hist_api.h"
#include "unit.h"

/* xorshift64*: deterministic, no libc state. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void check_slot(uint64_t v, int *unit_failed, int *bad)
{
	unsigned int s = pm_hist_slot(v);

	if (s >= PM_HIST_SLOTS || pm_hist_slot_low(s) > v || pm_hist_slot_high(s) < v) {
		if (!(*bad)++)
			fprintf(stderr, "  value %llu -> slot %u [%llu, %llu]\n",
				(unsigned long long)v, s,
				(unsigned long long)pm_hist_slot_low(s),
				(unsigned long long)pm_hist_slot_high(s));
		(*unit_failed)++;
	}
}

/* The BPF programs' shift-and-compare log2 equals the CPU's. */
TEST(log2_matches_clz)
{
	uint64_t s = 1, v;
	int i;

	for (i = 0; i < 64; i++)
		CHECK(pm_log2_shifts(1ULL << i) == (unsigned int)i && pm_log2(1ULL << i) == (unsigned int)i,
		      "2^%d", i);
	for (i = 0; i < 100000; i++) {
		v = rnd(&s) >> (i % 64);
		if (!v)
			continue;
		CHECK(pm_log2_shifts(v) == (unsigned int)(63 - __builtin_clzll(v)), "v=%llu",
		      (unsigned long long)v);
	}
}

TEST(every_value_falls_in_its_slot)
{
	uint64_t s = 7, v;
	int bad = 0, i;

	for (v = 0; v < (1 << 16); v++)
		check_slot(v, unit_failed, &bad);
	for (i = 0; i < 64; i++) {
		check_slot(1ULL << i, unit_failed, &bad);
		check_slot((1ULL << i) - 1, unit_failed, &bad);
	}
	check_slot(UINT64_MAX, unit_failed, &bad);
	for (i = 0; i < 200000; i++)
		check_slot(rnd(&s) >> (i % 64), unit_failed, &bad);
	CHECK(bad == 0, "%d values outside their slot", bad);
}

/*
 * The slot bounds against an independent computation: values below
 * PM_HIST_SUB each have a slot; above, [2^e, 2^(e+1)) splits into
 * PM_HIST_SUB slots of width 2^e / PM_HIST_SUB, in value order, so slot
 * PM_HIST_SUB * (e - PM_HIST_SUB_BITS + 1) + k starts at
 * 2^e + k * 2^e / PM_HIST_SUB.  And the mapping the BPF programs use
 * (pm_hist_slot) puts each bound in its slot and the values next to it
 * in the neighbours.  (slot_high is defined as the next slot's low - 1,
 * so "no gap between slots" alone would prove nothing.)
 */
TEST(slot_bounds_match_the_definition)
{
	unsigned int i, e, k;

	for (i = 0; i < PM_HIST_SLOTS; i++) {
		uint64_t lo, hi, width;

		if (i < PM_HIST_SUB) {
			lo = i;
			width = 1;
		} else {
			e = i / PM_HIST_SUB + PM_HIST_SUB_BITS - 1;
			k = i % PM_HIST_SUB;
			width = (1ULL << e) / PM_HIST_SUB;
			lo = (1ULL << e) + k * width;
		}
		hi = i + 1 == PM_HIST_SLOTS ? UINT64_MAX : lo + width - 1;
		CHECK(pm_hist_slot_low(i) == lo && pm_hist_slot_high(i) == hi,
		      "slot %u: [%llu, %llu], by definition [%llu, %llu]", i,
		      (unsigned long long)pm_hist_slot_low(i), (unsigned long long)pm_hist_slot_high(i),
		      (unsigned long long)lo, (unsigned long long)hi);
		CHECK(pm_hist_slot(lo) == i && pm_hist_slot(hi) == i, "slot %u: bounds map to %u, %u",
		      i, pm_hist_slot(lo), pm_hist_slot(hi));
		CHECK(!i || pm_hist_slot(lo - 1) == i - 1, "slot %u: %llu maps to %u", i,
		      (unsigned long long)(lo - 1), pm_hist_slot(lo - 1));
		CHECK(hi == UINT64_MAX || pm_hist_slot(hi + 1) == i + 1, "slot %u: %llu maps to %u", i,
		      (unsigned long long)(hi + 1), pm_hist_slot(hi + 1));
		/* width <= lo / PM_HIST_SUB above the linear part */
		CHECK(lo < PM_HIST_SUB || width * PM_HIST_SUB <= lo, "slot %u too wide", i);
	}
	CHECK(pm_hist_slot(UINT64_MAX) == PM_HIST_SLOTS - 1, "last slot %u", pm_hist_slot(UINT64_MAX));
}

/* pm_hist_check accepts what pm_hist_add builds, and nothing it cannot build. */
TEST(check_accepts_added_and_refuses_impossible)
{
	static struct pm_hist h;
	uint64_t s = 9, v;
	int i;

	memset(&h, 0, sizeof(h));
	CHECK(!pm_hist_check(&h), "empty refused");
	for (i = 0; i < 100000; i++) {
		v = rnd(&s) >> (20 + i % 44);
		pm_hist_add(&h, v);
	}
	CHECK(!pm_hist_check(&h), "added refused: %s", pm_hist_check(&h));
	h.count++;
	CHECK(pm_hist_check(&h), "count + 1 accepted");
	h.count--;
	h.max = pm_hist_slot_high(pm_hist_slot(h.max)) + 1;
	CHECK(pm_hist_check(&h), "max above its slot accepted");
	memset(&h, 0, sizeof(h));
	pm_hist_add(&h, 1000);
	pm_hist_add(&h, 1000);
	h.sum = 2 * pm_hist_slot_low(pm_hist_slot(1000)) - 1;
	CHECK(pm_hist_check(&h), "sum below the slots' lower bounds accepted");
	h.sum = 2 * pm_hist_slot_high(pm_hist_slot(1000)) + 1;
	CHECK(pm_hist_check(&h), "sum above the slots' upper bounds accepted");
	/* a sum that wrapped: 2^64 + small, stored as small */
	memset(&h, 0, sizeof(h));
	pm_hist_add(&h, UINT64_MAX / 2 + 10);
	pm_hist_add(&h, UINT64_MAX / 2 + 10);
	CHECK(pm_hist_check(&h), "wrapped sum accepted");
}

/* Percentiles within a slot's width of the exact ones. */
static void check_percentiles(uint64_t *v, size_t n, int *unit_failed)
{
	static const double pcts[] = { 1, 10, 50, 90, 99, 99.9, 100 };
	struct pm_hist h;
	size_t i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < n; i++)
		pm_hist_add(&h, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	CHECK(h.count == n && h.max == v[n - 1], "count %llu max %llu",
	      (unsigned long long)h.count, (unsigned long long)h.max);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		size_t rank = (size_t)ceil(pcts[i] / 100.0 * (double)n);
		double exact = (double)v[(rank ? rank : 1) - 1];
		double got = pm_hist_percentile(&h, pcts[i]);
		double tol = exact < PM_HIST_SUB ? 0.5 : exact / PM_HIST_SUB;

		CHECK(fabs(got - exact) <= tol, "p%g: got %.1f, exact %.0f (n=%zu)",
		      pcts[i], got, exact, n);
	}
}

TEST(percentiles_of_uniform_values)
{
	size_t n = 100000, i;
	uint64_t *v = malloc(n * sizeof(*v)), s = 3;

	CHECK(v, "malloc");
	for (i = 0; i < n; i++)
		v[i] = 1000 + rnd(&s) % 9000;
	check_percentiles(v, n, unit_failed);
	free(v);
}

TEST(percentiles_of_exponential_values)
{
	size_t n = 100000, i;
	uint64_t *v = malloc(n * sizeof(*v)), s = 11;

	CHECK(v, "malloc");
	for (i = 0; i < n; i++) {
		double u = ((double)(rnd(&s) >> 11) + 0.5) / 9007199254740992.0;

		v[i] = (uint64_t)(-log(u) * 50000.0);	/* mean 50 us in ns */
	}
	check_percentiles(v, n, unit_failed);
	free(v);
}

TEST(percentiles_of_small_exact_values)
{
	uint64_t v[] = { 0, 1, 1, 2, 3, 5, 7, 7, 7, 4 };

	check_percentiles(v, sizeof(v) / sizeof(v[0]), unit_failed);
}

TEST(empty_histogram_has_zero_percentiles)
{
	struct pm_hist h;

	memset(&h, 0, sizeof(h));
	CHECK(pm_hist_percentile(&h, 50) == 0 && pm_hist_mean(&h) == 0, "not zero");
}

TEST(merge_equals_one_histogram_of_both)
{
	struct pm_hist a, b, all;
	uint64_t s = 5, v;
	int i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&all, 0, sizeof(all));
	for (i = 0; i < 50000; i++) {
		v = rnd(&s) >> (i % 40);
		pm_hist_add(i % 3 ? &a : &b, v);
		pm_hist_add(&all, v);
	}
	CHECK(pm_hist_merge(&a, &b), "merge refused");
	CHECK(memcmp(&a, &all, sizeof(a)) == 0, "merged histogram differs");
}

TEST(merge_refuses_count_overflow)
{
	struct pm_hist a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.count = UINT64_MAX - 1;
	b.count = 2;
	CHECK(!pm_hist_merge(&a, &b) && a.count == UINT64_MAX - 1, "overflow merged");
}

UNIT_MAIN
