// SPDX-License-Identifier: GPL-2.0
#include <math.h>
#include <stddef.h>

#include "hist_api.h"

uint64_t pm_hist_slot_high(unsigned int slot)
{
	if (slot + 1 >= PM_HIST_SLOTS)
		return UINT64_MAX;
	return pm_hist_slot_low(slot + 1) - 1;
}

bool pm_hist_merge(struct pm_hist *dst, const struct pm_hist *src)
{
	unsigned int i;

	if (dst->count + src->count < dst->count)
		return false;
	for (i = 0; i < PM_HIST_SLOTS; i++)
		dst->slots[i] += src->slots[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
	return true;
}

double pm_hist_percentile(const struct pm_hist *h, double pct)
{
	uint64_t rank, seen = 0;
	unsigned int i;

	if (!h->count || !(pct > 0))
		return 0;
	if (pct >= 100)
		return (double)h->max;
	rank = (uint64_t)ceil(pct / 100.0 * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < PM_HIST_SLOTS; i++) {
		uint64_t n = h->slots[i];
		double lo, hi, v;

		if (!n || seen + n < rank) {
			seen += n;
			continue;
		}
		lo = (double)pm_hist_slot_low(i);
		hi = (double)pm_hist_slot_high(i);
		/* The rank-th value, spreading the slot's n values evenly. */
		v = lo + (hi - lo) * ((double)(rank - seen) - 0.5) / (double)n;
		if (hi == lo)
			v = lo;
		return v > (double)h->max ? (double)h->max : v;
	}
	return (double)h->max;
}

double pm_hist_mean(const struct pm_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0;
}

const char *pm_hist_check(const struct pm_hist *h)
{
	__extension__ typedef unsigned __int128 u128;
	u128 lo = 0, hi = 0;
	uint64_t n = 0;
	unsigned int i, top = 0;

	for (i = 0; i < PM_HIST_SLOTS; i++) {
		uint64_t c = h->slots[i];

		if (!c)
			continue;
		if (n + c < n)
			return "histogram slots overflow their count";
		n += c;
		top = i;
		lo += (u128)c * pm_hist_slot_low(i);
		hi += (u128)c * pm_hist_slot_high(i);
	}
	if (n != h->count)
		return "histogram count disagrees with its slots";
	if (!n)
		return h->sum || h->max ? "empty histogram with a sum or max" : NULL;
	if (h->max < pm_hist_slot_low(top) || h->max > pm_hist_slot_high(top))
		return "histogram max outside its highest slot";
	if ((u128)h->sum < lo || (u128)h->sum > hi)
		return "histogram sum outside its slots' bounds";
	return NULL;
}
