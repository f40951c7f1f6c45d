/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace side of the shared histogram (include/pagemove/hist_format.h). */
#ifndef PAGEMOVE_HIST_API_H
#define PAGEMOVE_HIST_API_H

#include <stdbool.h>
#include <stdint.h>

#include "pagemove/hist_format.h"

/* Largest value that falls into @slot. */
uint64_t pm_hist_slot_high(unsigned int slot);

/* dst += src; false (dst unchanged) if a counter would overflow. */
bool pm_hist_merge(struct pm_hist *dst, const struct pm_hist *src);

/*
 * The @pct percentile (0 < pct <= 100) of the recorded values, linearly
 * interpolated inside its slot and never above the largest value seen.
 * Exact for values below PM_HIST_SUB; otherwise within a slot's width
 * (1/PM_HIST_SUB of the value).  0 for an empty histogram.
 */
double pm_hist_percentile(const struct pm_hist *h, double pct);

double pm_hist_mean(const struct pm_hist *h);

/*
 * NULL if @h is a histogram pm_hist_add() could have built, else what is
 * wrong with it: count is not the sum of the slots (or that sum
 * overflows), an empty histogram with a sum or max, max outside the
 * highest non-empty slot, sum outside what the slots allow.
 */
const char *pm_hist_check(const struct pm_hist *h);

#endif /* PAGEMOVE_HIST_API_H */
